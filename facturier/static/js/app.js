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
    focusSearch(menu);
  }, true);
  // A menu whose content arrives when it first opens (the account switcher): its search box takes the
  // focus once it is there, as it would have on opening.
  document.addEventListener("htmx:afterSwap", function (event) {
    var menu = event.target.closest && event.target.closest("details[data-menu][open]");
    if (menu && event.target.matches(".switcher-panel")) focusSearch(menu);
  });
  function focusSearch(menu) {
    var search = menu.querySelector("input[type=search]");
    if (search) search.focus();
  }
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
  // The account navigation on small screens: the Menu button folds and unfolds it (aria-expanded says
  // which); Escape or a link followed folds it again. On wide screens the button is not shown.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (toggle) {
      setNav(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    // A click beside the unfolded navigation folds it.
    var open = document.querySelector(".nav-toggle[aria-expanded=true]");
    if (open && !event.target.closest("#account-nav")) setNav(open, false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var toggle = document.querySelector(".nav-toggle[aria-expanded=true]");
    if (toggle) { setNav(toggle, false); toggle.focus(); }
  });
  function setNav(toggle, open) {
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    document.documentElement.classList.toggle("nav-open", open);
    if (open) {
      var first = document.querySelector("#account-nav a");
      if (first) first.focus();
    }
  }
  // A list's filters fold on a phone unless one is active (details[data-fold], open in the page).
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll("details[data-fold]:not([data-active])").forEach(function (fold) { fold.open = false; });
  });
  // Behaviours that pages declare with data- attributes rather than inline handlers (the CSP allows
  // no inline script): a select that submits its form when changed (the language of the top bar)...
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) target.form.requestSubmit();
  });
  // ...a link back to the previous page (its href is where to go without a history)...
  document.addEventListener("click", function (event) {
    var back = event.target.closest && event.target.closest("a[data-back]");
    if (back && window.history.length > 1) { event.preventDefault(); window.history.back(); }
  });
  // ...and a field checked live by htmx, marked invalid when the answer holds an error
  // (data-invalid-when: the selector of that error).
  document.addEventListener("htmx:afterRequest", function (event) {
    var field = event.detail.elt;
    var selector = field && field.getAttribute && field.getAttribute("data-invalid-when");
    if (selector) field.setAttribute("aria-invalid", document.querySelector(selector) ? "true" : "false");
  });
  // The global search of the top bar: "/" (outside a field) takes the focus to it; the arrow keys move
  // between its results and the box; Escape empties the results and comes back to the box.
  var searchBox = document.getElementById("global-search-input");
  var searchResults = document.getElementById("global-search-results");
  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable=true]");
  }
  function searchHits() { return Array.prototype.slice.call(searchResults.querySelectorAll("[data-search-hit]")); }
  if (searchBox && searchResults) {
    document.addEventListener("keydown", function (event) {
      if (event.key === "/" && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        searchBox.focus();
        searchBox.select();
      }
    });
    searchBox.closest("form").addEventListener("keydown", function (event) {
      var hits = searchHits();
      var index = hits.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && hits.length) {
        event.preventDefault();
        hits[Math.min(index + 1, hits.length - 1)].focus();
      } else if (event.key === "ArrowUp" && index !== -1) {
        event.preventDefault();
        if (index === 0) searchBox.focus(); else hits[index - 1].focus();
      } else if (event.key === "Escape" && searchResults.innerHTML.trim()) {
        event.stopPropagation();
        searchResults.innerHTML = "";
        searchBox.focus();
      }
    });
    // A click elsewhere closes the results.
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".global-search")) searchResults.innerHTML = "";
    });
  }
  // Forms that ask for confirmation: data-confirm="message".
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
  // A progress bar while any htmx request or a plain form submission is under way; polls that refresh
  // a block in the background (data-quiet) do not show it.
  function quiet(event) { return event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("[data-quiet]"); }
  document.addEventListener("htmx:beforeRequest", function (event) { if (!quiet(event)) document.body.classList.add("busy"); });
  document.addEventListener("htmx:afterRequest", function () { document.body.classList.remove("busy"); });
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    document.body.classList.add("busy");
    if (event.target.hasAttribute && event.target.hasAttribute("data-download")) awaitDownload(event.target);
  });
  // A form whose answer may be a file (data-download) never leaves the page: the server echoes a token
  // in a cookie once the file starts, and the progress bar stops then.
  function awaitDownload(form) {
    var token = String(Date.now()) + String(Math.floor(Math.random() * 1e6));
    var input = form.querySelector("input[name=download_token]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "download_token";
      form.appendChild(input);
    }
    input.value = token;
    var timer = window.setInterval(function () {
      if (document.cookie.indexOf("download_token=" + token) === -1) return;
      window.clearInterval(timer);
      document.cookie = "download_token=; Max-Age=0; path=/";
      document.body.classList.remove("busy");
    }, 250);
  }
  window.addEventListener("pageshow", function () { document.body.classList.remove("busy"); });
})();

// "All on the page" and the offer to select every account matching the search. Without JavaScript the
// row checkboxes, the actions and the "every matching account" box work the same; only these helpers are missing.
(function () {
  "use strict";
  function sync(form) {
    var page = form.querySelector("[data-select-page]");
    if (!page) return;
    var boxes = form.querySelectorAll("input[name=ids]");
    var all = boxes.length > 0 && Array.prototype.every.call(boxes, function (box) { return box.checked; });
    page.hidden = false;
    page.checked = all;
    var matching = form.querySelector("[data-select-matching]");
    if (matching) {
      matching.hidden = !all;
      if (!all) matching.querySelector("input").checked = false;
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.form || box.form.id !== "bulk-form") return;
    if (box.matches("[data-select-page]")) {
      box.form.querySelectorAll("input[name=ids]").forEach(function (row) { row.checked = box.checked; });
    }
    sync(box.form);
  });
  function init() {
    var form = document.getElementById("bulk-form");
    if (form) sync(form);
  }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
