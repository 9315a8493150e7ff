/* Narrow screens: the navigation opens from a menu button, the dashboard's search from an icon.
   header.css hides them only when this script runs (html.js) and the screen is narrow, so
   without JavaScript everything stays visible as before. */
(function () {
  "use strict";

  /* A button with aria-controls shows and hides what it controls. */
  function setupToggle(button, onOpen) {
    var target = document.getElementById(button.getAttribute("aria-controls"));
    if (!target) return;
    button.setAttribute("aria-expanded", target.classList.contains("is-open") ? "true" : "false");
    button.addEventListener("click", function () {
      var open = !target.classList.contains("is-open");
      target.classList.toggle("is-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && onOpen) onOpen(target);
    });
    target.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && target.classList.contains("is-open")) {
        target.classList.remove("is-open");
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".nav-toggle").forEach(function (button) { setupToggle(button); });
    document.querySelectorAll(".search-toggle").forEach(function (button) {
      setupToggle(button, function (form) {
        var field = form.querySelector("input[type=search]");
        if (field) field.focus();
      });
    });
  });
})();
