// Small behaviours of the shell; the pages work without them.
(function () {
  "use strict";
  // Menus of the top bar: one open at a time, Escape or a click outside closes them.
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches("details[data-menu]") || !menu.open) return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (other) {
      if (other !== menu) other.open = false;
    });
    var search = menu.querySelector("input[type=search]");
    if (search) search.focus();
  }, true);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  // Forms that ask for confirmation: data-confirm="message".
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // A progress bar while any htmx request or a plain form submission is under way.
  document.addEventListener("htmx:beforeRequest", function () { document.body.classList.add("busy"); });
  document.addEventListener("htmx:afterRequest", function () { document.body.classList.remove("busy"); });
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) document.body.classList.add("busy");
  });
  window.addEventListener("pageshow", function () { document.body.classList.remove("busy"); });
})();
