/* The Attachments panel answers a refused file (400, 409, 410, 413, 415, 422, 503) with the
   panel and its reason: let htmx swap it in rather than drop it as an error. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var status = detail.xhr.status;
    if (detail.elt && detail.elt.closest && detail.elt.closest("#attachments") && status >= 400 && status < 600 && status !== 403 && status !== 404) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
