/* The transcript workspace on the task page (templates/tasks_app/transcripts/). The forms work
   without this file (they post and come back); with it a segment opens in place, Enter saves,
   Esc cancels, Split sends the cursor's position, refusals (400, 409) are shown in place, and a
   status poll never replaces a segment someone is editing. Listeners sit on the document so
   they survive htmx swaps; the player (player.js) owns playback and seeking. */
(function () {
  "use strict";

  var pending = false;
  var lastSegment = null;

  function inWorkspace(element) {
    return Boolean(element && element.closest && element.closest("#workspace"));
  }

  function cancelEditing(form) {
    var cancel = form.querySelector(".seg-cancel");
    if (cancel) cancel.click();
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (!target || !target.closest) return;
    var form = target.closest(".seg-form");
    if (form && event.key === "Escape") {
      event.preventDefault();
      cancelEditing(form);
      return;
    }
    // Enter saves; Shift+Enter is a new line; a composing input method keeps its Enter.
    if (form && event.key === "Enter" && target.matches("textarea") && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit(form.querySelector(".seg-save"));
      return;
    }
    // Enter on a segment itself (not on a control inside it) opens it for editing.
    if (event.key === "Enter" && target.matches("li.seg") && inWorkspace(target)) {
      var edit = target.querySelector(".seg-edit");
      if (edit) { event.preventDefault(); edit.click(); }
    }
  });

  /* Split at the cursor: the offset in characters (code points, as the server counts them). */
  document.addEventListener("click", function (event) {
    var split = event.target.closest && event.target.closest(".seg-split");
    if (!split) return;
    var form = split.form;
    var text = form.querySelector("textarea[name=text]");
    var at = form.querySelector("input[name=at]");
    at.value = String(Array.from(text.value.slice(0, text.selectionStart)).length);
  }, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    pending = inWorkspace(elt);
    var segment = pending && elt.closest("li.seg");
    lastSegment = segment ? segment.dataset.segId : null;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    // A refused change comes back as the workspace with the reason: show it.
    if (inWorkspace(detail.elt) && (detail.xhr.status === 400 || detail.xhr.status === 409)) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    // A poll (the task's status while an analysis runs, the speaker labelling's, which brings
    // the whole workspace once the labels are in) must not close a segment being edited: it
    // polls again and lands once the segment is saved or cancelled.
    var poll = detail.elt && (detail.elt.id === "task-status" || detail.elt.id === "speakers");
    if (poll && document.querySelector("#workspace .seg-form")) {
      detail.shouldSwap = false;
    }
  });

  function countTicked() {
    var out = document.getElementById("assign-count");
    if (!out) return;
    var ticked = document.querySelectorAll("#workspace .seg-pick:checked").length;
    var number = new Intl.NumberFormat(document.documentElement.lang || undefined).format(ticked);
    out.textContent = ticked ? out.dataset.template.replace("{n}", number) : "";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(".seg-pick")) countTicked();
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) return;
    pending = false;
    countTicked();
    var form = document.querySelector("#workspace .seg-form");
    if (form) {
      // A form opened (or came back refused): the cursor goes to the end of its text.
      var text = form.querySelector("textarea");
      text.focus();
      text.setSelectionRange(text.value.length, text.value.length);
      return;
    }
    var problem = document.querySelector("#workspace-notice [role=alert]");
    if (problem) { problem.setAttribute("tabindex", "-1"); problem.focus(); return; }
    // Saved or cancelled: back to the segment's Edit button, so the keyboard stays in place.
    var edit = lastSegment && document.querySelector("#seg-" + lastSegment + " .seg-edit");
    if (edit) edit.focus();
    lastSegment = null;
  });
})();
