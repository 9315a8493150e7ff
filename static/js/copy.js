/* Copy buttons: <button data-copy="element-id" data-copied="Copied"> copies that element's text.
   The button stays hidden without JavaScript; the text is selectable by hand all the same. */
(function () {
  "use strict";

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentNode.querySelector(".copy-status");
    if (!source) return;
    function done() { if (status) status.textContent = button.dataset.copied; }
    function fallback() {
      /* No clipboard API (plain http, old browser): select the text and try the old way. */
      selectText(source);
      try { if (document.execCommand("copy")) done(); } catch (error) { /* selected: copy by hand */ }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent.trim()).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copy(button); });
    });
  });
})();
