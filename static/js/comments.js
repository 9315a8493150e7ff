/* Comments (templates/tasks_app/comments): a refused comment (400) comes back as its form with
   the reason, which htmx would not swap in by default; after a comment is posted, the box is
   ready for the next one. */
(function () {
  "use strict";

  function inComments(elt) { return !!(elt && elt.closest && elt.closest("#comments")); }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (inComments(detail.elt) && detail.xhr.status === 400) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !inComments(target)) return;
    var box = target.matches("textarea") ? target : target.querySelector("textarea");
    if (box && document.activeElement === document.body) box.focus();
  });
})();
