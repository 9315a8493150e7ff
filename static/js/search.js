/* The task page opened at a moment of its transcript (#t=12.5, from a search snippet): the
   segment spoken then is scrolled into view and highlighted, again after each poll's swap. */
(function () {
  "use strict";

  function moment() {
    var found = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    return found ? parseFloat(found[1]) : null;
  }

  function showMoment(scroll) {
    var seconds = moment();
    if (seconds === null) return;
    var target = null;
    document.querySelectorAll("li.seg[data-start], .segment[data-start]").forEach(function (segment) {
      segment.classList.remove("is-target");
      /* The last segment starting at or before the moment is the one spoken then. */
      if (parseFloat(segment.dataset.start) <= seconds + 0.005) target = segment;
    });
    if (!target) return;
    target.classList.add("is-target");
    if (scroll) target.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () { showMoment(true); });
  window.addEventListener("hashchange", function () { showMoment(true); });
  document.addEventListener("htmx:afterSwap", function () { showMoment(false); });
})();
