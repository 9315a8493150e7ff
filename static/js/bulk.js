/* The dashboard's bulk bar: says how many tasks are ticked, hides its actions while none is,
   and keeps the ticks when the list refreshes (a poll or a filter re-renders the cards, whose
   checkboxes come from the server unticked). Without JavaScript the bar is always shown and
   posts the ticked ids all the same. */
(function () {
  "use strict";

  var picked = new Set();

  function digits(number) {
    var text = String(number);
    if (!(document.documentElement.lang || "").startsWith("fa")) return text;
    return text.replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[Number(d)]; });
  }

  function bar() { return document.getElementById("bulk-form"); }

  function boxes() {
    return document.querySelectorAll('input[type="checkbox"][name="ids"][form="bulk-form"]');
  }

  function update() {
    var form = bar();
    if (!form) return;
    boxes().forEach(function (box) {
      box.checked = picked.has(box.value);
      var card = box.closest(".task-card");
      if (card) card.classList.toggle("is-picked", box.checked);
    });
    var count = 0;
    boxes().forEach(function (box) { if (box.checked) count += 1; });
    var label = form.querySelector("#bulk-count");
    if (label) {
      var template = count === 1 ? form.dataset.one : form.dataset.many;
      label.textContent = count ? (template || "{n}").replace("{n}", digits(count)) : (form.dataset.none || "");
    }
    form.dataset.empty = count ? "false" : "true";
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement) || box.name !== "ids" || box.getAttribute("form") !== "bulk-form") return;
    if (box.checked) picked.add(box.value); else picked.delete(box.value);
    update();
  });

  // Ticks of tasks no longer shown (filtered away) are forgotten with them.
  document.addEventListener("htmx:afterSettle", function () {
    var shown = new Set();
    boxes().forEach(function (box) { shown.add(box.value); });
    picked.forEach(function (id) { if (!shown.has(id)) picked.delete(id); });
    update();
  });

  /* Delete and cancel ask first, in the page's dialog (confirm.js asks for a form with
     data-confirm): set here, on the window, before confirm.js sees the submit on the document,
     and only for those two buttons. */
  window.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "bulk-form") return;
    var action = event.submitter ? event.submitter.value : "";
    var question = action === "delete" ? form.dataset.askDelete : action === "cancel" ? form.dataset.askCancel : "";
    if (question) form.dataset.confirm = question;
    else delete form.dataset.confirm;
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    boxes().forEach(function (box) { if (box.checked) picked.add(box.value); });
    update();
  });
})();
