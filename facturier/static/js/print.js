// Pages made to be printed: their "Imprimer" button (data-print) opens the browser's print dialog.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) window.print();
});
