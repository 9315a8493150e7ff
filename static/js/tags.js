/* Tags: the chips on a task answer a refused add (400) with themselves and the reason, which
   htmx would not swap in on its own; focus stays in the chips after an add or a removal. (The
   dashboard's filter applies a ticked tag at once through its own hx-trigger on checkboxes.) */
(function () {
  "use strict";

  function inChips(elt) { return elt && elt.closest && elt.closest(".tag-chips"); }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (inChips(detail.elt) && detail.xhr.status === 400) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id.indexOf("tags-") !== 0) return;
    var chips = document.getElementById(target.id);
    var input = chips && chips.querySelector(".tag-add input[name=name]");
    if (input) input.focus();
  });
})();
