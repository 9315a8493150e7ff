/* Writers: the little JavaScript the pages need. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* Destructive actions (forms carrying data-confirm) ask in a dialog: see confirm.js. */

  /* Lists that poll also refresh when the tab comes back into view. */
  function refreshVisible() {
    if (document.visibilityState === "visible") {
      document.body.dispatchEvent(new CustomEvent("writers-refresh"));
    }
  }
  document.addEventListener("visibilitychange", refreshVisible);
  window.addEventListener("focus", refreshVisible);

  /* The upload page has its own script: upload.js. */
})();
