/* One in-page confirmation for destructive actions, instead of the browser's confirm().
   A form (or an htmx element) with data-confirm="question" asks first; the confirm button reads
   like the action's own button (or data-confirm-label). Focus moves into the dialog, Escape or
   "Go back" cancels, and focus returns to the button that asked. What the dialog lets through
   carries confirm=1; without JavaScript the post lacks it and the server answers with a page
   that asks instead (writers/confirm.py). */
(function () {
  "use strict";

  function dialog() { return document.getElementById("confirm-dialog"); }

  function labelOf(source, button) {
    if (source.dataset.confirmLabel) return source.dataset.confirmLabel;
    if (!button) return "";
    var copy = button.cloneNode(true);
    copy.querySelectorAll(".visually-hidden").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.trim();
  }

  /* Ask `question`; `proceed` runs only when the user confirms. */
  function ask(source, button, proceed) {
    var box = dialog();
    if (!box || typeof box.showModal !== "function") {
      if (window.confirm(source.dataset.confirm)) proceed();
      return;
    }
    var back = button || document.activeElement;
    var ok = box.querySelector("#confirm-ok");
    box.querySelector("#confirm-message").textContent = source.dataset.confirm;
    ok.textContent = labelOf(source, button) || ok.dataset.defaultLabel || ok.textContent;
    box.returnValue = "";
    box.addEventListener("close", function done() {
      box.removeEventListener("close", done);
      if (back && typeof back.focus === "function") back.focus();
      if (box.returnValue === "confirm") proceed();
    });
    box.showModal();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var ok = document.getElementById("confirm-ok");
    if (ok) ok.dataset.defaultLabel = ok.textContent;
  });

  /* Plain forms. htmx elements are asked through htmx:confirm below. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm || form.hasAttribute("hx-post")) return;
    if (form.dataset.confirmed === "yes") { delete form.dataset.confirmed; return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    var button = event.submitter || form.querySelector("[type=submit]");
    ask(form, button, function () {
      form.dataset.confirmed = "yes";
      if (!form.querySelector("input[name=confirm]")) {
        var yes = document.createElement("input");
        yes.type = "hidden";
        yes.name = "confirm";
        yes.value = "1";
        form.appendChild(yes);
      }
      if (typeof form.requestSubmit === "function") form.requestSubmit(button || undefined);
      else form.submit();
    });
  }, true);

  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    if (!source.dataset || !source.dataset.confirm) return;
    event.preventDefault();
    var button = source.matches("button") ? source : source.querySelector("[type=submit]");
    ask(source, button, function () { event.detail.issueRequest(true); });
  });

  /* An htmx request from a data-confirm element got here through the dialog above. */
  document.addEventListener("htmx:configRequest", function (event) {
    var source = event.detail.elt;
    if (source.dataset && source.dataset.confirm) event.detail.parameters.confirm = "1";
  });

})();
