// The schedule form shows only the fields of the chosen rule and action; without JavaScript
// all of them show and the server reads the ones that apply.
(function () {
  function update(form) {
    ["rule", "action"].forEach(function (name) {
      var chosen = form.querySelector('input[name="' + name + '"]:checked');
      form.querySelectorAll("[data-" + name + "]").forEach(function (part) {
        var shown = chosen && part.getAttribute("data-" + name).split(" ").indexOf(chosen.value) !== -1;
        if (shown) { part.removeAttribute("data-schedule-hidden"); } else { part.setAttribute("data-schedule-hidden", ""); }
      });
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-schedule-switch]")) { update(event.target.form); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("schedule-form");
    if (form) { update(form); }
  });
})();
