/* The upload page: drag and drop of one file or several, browser-side checks, and each file sent
   in its own request (so each becomes its own task) with its own progress bar. One file lands on
   its new task's page; several stay listed, each with a link to its task or why it failed.
   Without JavaScript the form posts one file as a plain form. */
(function () {
  "use strict";

  var number = new Intl.NumberFormat(document.documentElement.lang || undefined);

  function setupUpload(form, keepFiles) {
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector("#dropzone");
    var chosen = form.querySelector("#file-chosen");
    var title = form.querySelector("input[name=title]");
    var list = form.querySelector("#upload-list");
    var template = form.querySelector("#upload-item-template");
    var clientError = form.querySelector("#upload-client-error");
    var summary = form.querySelector("#upload-summary");
    var submit = form.querySelector("#upload-submit");
    var anyFile = form.querySelector("input[name=any_file]");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var accepted = form.dataset.accept.split(",");
    var titleFromFile = "";
    if (!input || !zone) return;
    input.multiple = true;
    input.tabIndex = -1;

    function files() { return Array.prototype.slice.call(input.files || []); }

    function showError(message) {
      clientError.textContent = message;
      clientError.hidden = !message;
    }

    function check(file) {
      var name = file.name.toLowerCase();
      var typeOk = (anyFile && anyFile.checked) ||
        accepted.some(function (ext) { return name.endsWith(ext); });
      if (!typeOk) return form.dataset.msgBadType;
      if (file.size > maxBytes) return form.dataset.msgTooLarge;
      return "";
    }

    function addRow(file) {
      var row = template.content.firstElementChild.cloneNode(true);
      row.querySelector(".upload-name").textContent = file.name;
      row.querySelector(".progress").setAttribute("aria-label", file.name);
      list.appendChild(row);
      list.hidden = false;
      return row;
    }

    function setProgress(row, value) {
      row.querySelector(".progress-bar").style.width = value + "%";
      row.querySelector(".progress").setAttribute("aria-valuenow", value);
      row.querySelector(".upload-percent").textContent = number.format(value) + "%";
    }

    function setStatus(row, state, text) {
      row.dataset.state = state;
      var status = row.querySelector(".upload-item-status");
      status.textContent = text || "";
      return status;
    }

    /* What was chosen: one file names the task (until the user types a title); several are
       listed at once, each with its problem if it has one. */
    function chose() {
      var picked = files();
      showError("");
      list.textContent = "";
      list.hidden = true;
      summary.hidden = true;
      chosen.textContent = picked.map(function (file) { return file.name; }).join(", ");
      if (picked.length === 1) {
        var problem = check(picked[0]);
        if (problem) { showError(problem); return; }
        if (title && (!title.value || title.value === titleFromFile)) {
          titleFromFile = picked[0].name.replace(/\.[^.]+$/, "").slice(0, 255) || picked[0].name.slice(0, 255);
          title.value = titleFromFile;
        }
        return;
      }
      /* Several files: each is named after itself. */
      if (title && title.value === titleFromFile) { title.value = ""; titleFromFile = ""; }
      picked.forEach(function (file) {
        var row = addRow(file);
        var problem = check(file);
        if (problem) setStatus(row, "error", problem);
      });
    }

    function useFiles(dropped) {
      if (!dropped || !dropped.length) return;
      var transfer = new DataTransfer();
      Array.prototype.forEach.call(dropped, function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      chose();
    }

    /* The server's answer to a refused file, in its own words. */
    function refusal(xhr) {
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0) {
        var holder = document.createElement("div");
        holder.innerHTML = xhr.responseText;
        var reasons = Array.prototype.map.call(
          holder.querySelectorAll(".form-errors li, .errorlist li"),
          function (item) { return item.textContent.trim(); });
        if (reasons.length) return reasons.join(" ");
      }
      return form.dataset.msgServer + " (" + number.format(xhr.status) + ")";
    }

    /* One request for one file; `done(target, xhr)` gets the new task's address or null. */
    function send(file, row, batch, done) {
      var data = new FormData(form);
      data.set("file", file);
      if (batch) data.set("title", "");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      if (batch) xhr.setRequestHeader("X-Upload-Batch", "1");
      setProgress(row, 0);
      setStatus(row, "uploading", form.dataset.msgUploading);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var value = Math.floor((e.loaded / e.total) * 100);
        setProgress(row, value);
        if (value >= 100) setStatus(row, "uploading", form.dataset.msgUploaded);
      });
      xhr.addEventListener("load", function () {
        var target = xhr.getResponseHeader("HX-Redirect");
        done(xhr.status < 300 && target ? target : null, xhr);
      });
      xhr.addEventListener("error", function () {
        setStatus(row, "error", form.dataset.msgNetwork);
        done(null, null);
      });
      xhr.send(data);
    }

    function sendOne(file) {
      var row = addRow(file);
      submit.disabled = true;
      send(file, row, false, function (target, xhr) {
        if (target) { window.location.assign(target); return; }
        submit.disabled = false;
        if (!xhr) return;
        var type = xhr.getResponseHeader("Content-Type") || "";
        if (type.indexOf("text/html") === 0 && xhr.responseText.indexOf('id="upload-form"') !== -1) {
          /* The server's own form with its errors, worded as the server words them; the file
             stays chosen so fixing a field and sending again needs no new pick. */
          var holder = document.createElement("div");
          holder.innerHTML = xhr.responseText;
          var fresh = holder.querySelector("#upload-form");
          form.replaceWith(fresh);
          setupUpload(fresh, [file]);
          var errors = fresh.querySelector(".form-errors:not([hidden]), .errorlist");
          if (errors) errors.scrollIntoView({ block: "center" });
          return;
        }
        list.hidden = true;
        list.textContent = "";
        showError(refusal(xhr));
      });
    }

    /* Several files, one after another: the server checks each upload's content, and one at a
       time keeps that quick for everyone. */
    function sendAll(picked) {
      var rows = Array.prototype.slice.call(list.children);
      var queue = [];
      picked.forEach(function (file, index) {
        if (rows[index].dataset.state === "error") return;
        setStatus(rows[index], "waiting", form.dataset.msgWaiting);
        queue.push([file, rows[index]]);
      });
      if (!queue.length) return;
      submit.disabled = true;
      summary.hidden = true;
      (function next() {
        var item = queue.shift();
        if (!item) { finished(); return; }
        send(item[0], item[1], true, function (target, xhr) {
          if (target) {
            var status = setStatus(item[1], "done", "");
            var link = document.createElement("a");
            link.href = target;
            link.textContent = form.dataset.msgOpen;
            status.appendChild(link);
          } else if (xhr) {
            setStatus(item[1], "error", refusal(xhr));
          }
          next();
        });
      })();
    }

    function finished() {
      submit.disabled = false;
      summary.textContent = form.dataset.msgFinished + " ";
      var link = document.createElement("a");
      link.href = form.querySelector("#upload-leave").getAttribute("href");
      link.textContent = form.dataset.msgDashboard;
      summary.appendChild(link);
      summary.hidden = false;
      /* Start again only sends what is picked next. */
      input.value = "";
      chosen.textContent = "";
    }

    if (keepFiles) useFiles(keepFiles);
    input.addEventListener("change", chose);
    /* "Any other file" takes every type: the picker then offers them all. */
    function followAnyFile() {
      if (anyFile.checked) input.removeAttribute("accept");
      else input.setAttribute("accept", accepted.join(","));
      if (files().length) chose();
    }
    if (anyFile) { anyFile.addEventListener("change", followAnyFile); followAnyFile(); }
    zone.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
    });
    zone.addEventListener("click", function () { input.click(); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("is-dragover"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.remove("is-dragover"); });
    });
    zone.addEventListener("drop", function (event) { useFiles(event.dataTransfer.files); });

    form.addEventListener("submit", function (event) {
      var picked = files();
      if (picked.length === 1) {
        var problem = check(picked[0]);
        if (problem) { event.preventDefault(); showError(problem); zone.focus(); return; }
      }
      /* No file (pasted text, or nothing, which the server explains): a plain form post. */
      if (!picked.length || !window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      showError("");
      if (picked.length > 1) { sendAll(picked); return; }
      list.textContent = "";
      sendOne(picked[0]);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("upload-form");
    if (form) setupUpload(form, null);
  });
})();
