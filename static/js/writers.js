/* Writers: the little JavaScript the pages need. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* Numbers in the reader's script, as the server writes them. */
  var persian = document.documentElement.lang === "fa";
  function digits(text) {
    return persian ? String(text).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; }) : String(text);
  }

  /* Ask before destructive actions (forms carrying data-confirm). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);

  /* Lists that poll also refresh when the tab comes back into view. */
  function refreshVisible() {
    if (document.visibilityState === "visible") {
      document.body.dispatchEvent(new CustomEvent("writers-refresh"));
    }
  }
  document.addEventListener("visibilitychange", refreshVisible);
  window.addEventListener("focus", refreshVisible);

  /* Upload: drag and drop, browser-side checks, XHR with a real progress bar. */
  function setupUpload(form, keepFile) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("#dropzone");
    var chosen = form.querySelector("#file-chosen");
    var title = form.querySelector("input[name=title]");
    var status = form.querySelector("#upload-status");
    var bar = form.querySelector("#upload-progress-bar");
    var percent = form.querySelector("#upload-percent");
    var statusText = form.querySelector("#upload-status-text");
    var clientError = form.querySelector("#upload-client-error");
    var submit = form.querySelector("#upload-submit");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var accepted = form.dataset.accept.split(",");
    var titleFromFile = "";
    if (!input || !zone) return;
    input.tabIndex = -1;

    function showError(message) {
      clientError.textContent = message;
      clientError.hidden = !message;
    }

    /* "Any other file" takes every type: the picker then offers them all. */
    var anyFile = form.querySelector("input[name=any_file]");
    function followAnyFile() {
      if (!anyFile) return;
      if (anyFile.checked) input.removeAttribute("accept");
      else input.setAttribute("accept", accepted.join(","));
      if (input.files[0]) chose(input.files[0]);
    }

    function check(file) {
      var name = file.name.toLowerCase();
      var typeOk = (anyFile && anyFile.checked) ||
        accepted.some(function (ext) { return name.endsWith(ext); });
      if (!typeOk) return form.dataset.msgBadType;
      if (file.size > maxBytes) return form.dataset.msgTooLarge;
      return "";
    }

    function chose(file) {
      showError("");
      if (!file) { chosen.textContent = ""; return; }
      var problem = check(file);
      chosen.textContent = file.name;
      if (problem) { showError(problem); return; }
      /* The title follows the file name until the user types their own. */
      if (title && (!title.value || title.value === titleFromFile)) {
        titleFromFile = file.name.replace(/\.[^.]+$/, "").slice(0, 255) || file.name.slice(0, 255);
        title.value = titleFromFile;
      }
    }

    function useFiles(files) {
      if (!files || !files.length) return;
      var transfer = new DataTransfer();
      transfer.items.add(files[0]);
      input.files = transfer.files;
      chose(input.files[0]);
    }

    if (keepFile) useFiles([keepFile]);
    input.addEventListener("change", function () { chose(input.files[0]); });
    if (anyFile) { anyFile.addEventListener("change", followAnyFile); followAnyFile(); }
    zone.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-dragover"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) { useFiles(event.dataTransfer.files); });

    form.addEventListener("submit", function (event) {
      var file = input.files[0];
      if (file) {
        var problem = check(file);
        if (problem) { event.preventDefault(); showError(problem); zone.focus(); return; }
      }
      if (!window.FormData || !window.XMLHttpRequest) return;  /* plain form post */
      event.preventDefault();
      showError("");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      status.hidden = false;
      submit.disabled = true;
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var value = Math.floor((e.loaded / e.total) * 100);
        bar.style.width = value + "%";
        percent.textContent = digits(value) + "%";
        bar.parentNode.setAttribute("aria-valuenow", value);
        if (value >= 100) statusText.textContent = form.dataset.msgUploaded;
      });
      xhr.addEventListener("load", function () {
        var target = xhr.getResponseHeader("HX-Redirect");
        if (xhr.status < 300 && target) { window.location.assign(target); return; }
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (type.indexOf("text/html") === 0 && xhr.responseText.indexOf('id="upload-form"') !== -1) {
          /* The server's own form with its errors, worded as the server words them. */
          var holder = document.createElement("div");
          holder.innerHTML = xhr.responseText;
          var fresh = holder.querySelector("#upload-form");
          form.replaceWith(fresh);
          setupUpload(fresh, file);
          var errors = fresh.querySelector(".form-errors:not([hidden]), .errorlist");
          if (errors) errors.scrollIntoView({ block: "center" });
          return;
        }
        status.hidden = true;
        submit.disabled = false;
        showError(form.dataset.msgServer + " (" + xhr.status + ")");
      });
      xhr.addEventListener("error", function () {
        status.hidden = true;
        submit.disabled = false;
        showError(form.dataset.msgNetwork);
      });
      xhr.send(new FormData(form));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (form) setupUpload(form, null);
  });
})();
