// The document form: add lines, fill a line from its product, show what applies (exchange rate,
// quote validity, the destination's VAT rates under OSS), search and create clients. The page works
// without it; htmx refreshes the totals (and each line's total) on every change, computed by the server.
(function () {
  "use strict";
  var form = document.getElementById("document-form");
  var lines = document.getElementById("document-lines");
  var template = document.getElementById("empty-line");
  var total = document.getElementById("id_lines-TOTAL_FORMS");
  var ossRates = JSON.parse(document.getElementById("oss-rates").textContent);
  var mentions = JSON.parse(document.getElementById("vat-mentions").textContent);
  var defaultMentions = Object.keys(mentions).map(function (key) { return mentions[key]; });

  function input(root, name) { return root.querySelector("[name$='-" + name + "']"); }
  function setValue(root, name, value) {
    var element = input(root, name);
    if (element && value !== undefined) element.value = value;
  }

  function destination() {
    var oss = form.elements.oss, client = form.elements.client;
    if (!oss || !oss.checked || !client || !client.selectedOptions.length) return null;
    var country = client.selectedOptions[0].getAttribute("data-country");
    return country && ossRates[country] ? country : null;
  }

  // The French rates come first; a second group holds the OSS destination's rates, if any.
  function updateVatChoices(root) {
    var country = destination();
    root.querySelectorAll("select[name$='-vat']").forEach(function (select) {
      var groups = select.querySelectorAll("optgroup");
      var current = groups.length > 1 ? groups[1] : null;
      var wanted = country ? ossRates[country].label : null;
      if ((current ? current.label : null) === wanted) return;
      var value = select.value;
      if (current) current.remove();
      if (country) {
        var group = document.createElement("optgroup");
        group.label = wanted;
        ossRates[country].options.forEach(function (option) { group.appendChild(new Option(option[1], option[0])); });
        select.appendChild(group);
      }
      select.value = value;
      if (select.value !== value) select.selectedIndex = 0;
    });
  }

  function showWhatApplies() {
    document.getElementById("exchange-rate").hidden = form.elements.currency.value === "EUR";
    document.querySelectorAll("[data-show-for-kind]").forEach(function (element) {
      element.hidden = form.elements.kind.value !== element.getAttribute("data-show-for-kind");
    });
  }

  form.querySelector("[data-add-line]").addEventListener("click", function (event) {
    event.preventDefault();
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    lines.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var line = lines.lastElementChild;
    updateVatChoices(line);
    input(line, "product").focus();
  });

  // Capture phase: the line is filled before htmx, listening on the form, posts it for the totals.
  form.addEventListener("change", function (event) {
    var target = event.target;
    var line = target.closest("[data-line]");
    if (target.matches("select[data-product]") && target.value) {
      var option = target.selectedOptions[0];
      var gross = form.elements.prices_are_gross.checked;
      setValue(line, "name", option.getAttribute("data-name"));
      setValue(line, "unit", option.getAttribute("data-unit"));
      setValue(line, "unit_price", option.getAttribute(gross ? "data-gross" : "data-net"));
      setValue(line, "vat", option.getAttribute("data-vat"));
      setValue(line, "vat_category", option.getAttribute("data-category"));
      setValue(line, "supply_kind", option.getAttribute("data-kind"));
    } else if (target.name && /-vat_category$/.test(target.name)) {
      // Without VAT the rate is 0 % and the line carries the category's legal mention (still editable).
      var reason = input(line, "exemption_reason");
      if (!reason.value || defaultMentions.indexOf(reason.value) !== -1) reason.value = mentions[target.value] || "";
      var rate = input(line, "vat");
      if (target.value !== "S") rate.value = "FR:0";
      else if (rate.value === "FR:0") rate.value = "FR:20";
    } else if (target.name && /-DELETE$/.test(target.name)) {
      line.classList.toggle("removed", target.checked);
    } else if (target.name === "oss" || target.name === "client") {
      updateVatChoices(form);
    } else if (target.name === "currency" || target.name === "kind") {
      showWhatApplies();
    }
  }, true);

  // The client search (htmx swaps the select's options): Enter chooses the only match, or moves to the
  // select, rather than submitting the form.
  var search = document.getElementById("client-search");
  if (search) {
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      var select = form.elements.client;
      var choices = Array.prototype.filter.call(select.options, function (option) { return option.value; });
      if (choices.length === 1 && select.value !== choices[0].value) {
        select.value = choices[0].value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
      select.focus();
    });
  }

  // "Nouveau client": the link opens the dialog (without JavaScript it leads to the client form).
  var dialog = document.getElementById("new-client-dialog");
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-open-dialog]");
    if (opener && dialog) {
      event.preventDefault();
      dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden]):not([type=radio]), input[type=radio]:checked");
      if (first) first.focus();
    } else if (event.target.closest("[data-close-dialog]") && dialog) {
      dialog.close();
    }
  });
  // The server made the client: it joins the select, chosen (the totals and legal checks follow).
  document.body.addEventListener("client-created", function (event) {
    var client = event.detail;
    var select = form.elements.client;
    var option = new Option(client.name, String(client.id), true, true);
    option.setAttribute("data-country", client.country);
    select.appendChild(option);
    select.value = String(client.id);
    if (dialog) dialog.close();
    select.dispatchEvent(new Event("change", { bubbles: true }));
    select.focus();
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = button && button.getAttribute("data-confirm-issue");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  showWhatApplies();
  updateVatChoices(form);
})();
