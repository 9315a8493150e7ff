/* Accessibility across pages (issue 21). The upload's drop area is what people see and focus, so
   it carries the file's errors: marked invalid, described by the message, focused when one
   appears. The server marks it in the HTML it sends; this keeps it true as the page changes
   (a refused type in the browser, the server's form swapped in, another file chosen). */
(function () {
  "use strict";

  function sync(form, focus) {
    var zone = form.querySelector("#dropzone");
    if (!zone) return;
    var ids = [zone.getAttribute("aria-describedby").split(" ")[0]];
    var server = form.querySelector(".file-errors .errorlist");
    var client = form.querySelector("#upload-client-error");
    if (server && server.id) ids.push(server.id);
    if (client && !client.hidden && client.textContent.trim()) ids.push(client.id);
    var invalid = ids.length > 1;
    var was = zone.getAttribute("aria-invalid") === "true";
    zone.setAttribute("aria-describedby", ids.join(" "));
    if (invalid) zone.setAttribute("aria-invalid", "true");
    else zone.removeAttribute("aria-invalid");
    if (invalid && (focus || !was)) zone.focus();
  }

  function watch(form) {
    /* The browser's own refusal shows in #upload-client-error (upload.js). */
    new MutationObserver(function () { sync(form, false); }).observe(form, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["hidden"],
    });
    /* A file the person picks or drops replaces the one the server refused. */
    function forget() {
      var earlier = form.querySelector(".file-errors");
      if (earlier) earlier.remove();
    }
    form.addEventListener("change", function (event) {
      if (event.target.type === "file") forget();
    }, true);
    form.addEventListener("drop", forget, true);
    sync(form, true);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (!form) return;
    watch(form);
    /* upload.js swaps in the server's form, with its errors, after a refused upload. */
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        Array.prototype.forEach.call(change.addedNodes, function (node) {
          if (node.id === "upload-form") watch(node);
        });
      });
    }).observe(form.parentNode, { childList: true });
  });
})();
