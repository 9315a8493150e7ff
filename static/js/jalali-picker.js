/* A Jalali calendar beside the due-date boxes Persian readers type into (tasks_app/dates.py marks
   them with data-jalali-picker, holding the translated labels). The browser already knows the
   Persian calendar: Intl converts dates and names months and weekdays, so no library is needed.
   It follows the WAI-ARIA date picker dialog pattern: a labelled button opens a dialog whose days
   form a grid moved through with the arrow keys (mirrored right to left), Page Up/Down for months,
   Enter to pick, Escape to close; focus goes back to the button. */
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
  var DATE_TEXT = /^(\d{4})\s*([\/\-.])\s*(\d{1,2})\s*\2\s*(\d{1,2})(.*)$/;
  var parts = new Intl.DateTimeFormat("en-u-ca-persian-nu-latn", {
    year: "numeric", month: "numeric", day: "numeric", timeZone: "UTC"
  });
  var monthName = new Intl.DateTimeFormat("fa-IR-u-ca-persian", { month: "long", timeZone: "UTC" });
  var weekdayLong = new Intl.DateTimeFormat("fa-IR-u-ca-persian", { weekday: "long", timeZone: "UTC" });
  var weekdayNarrow = new Intl.DateTimeFormat("fa-IR-u-ca-persian", { weekday: "narrow", timeZone: "UTC" });
  var counter = 0;

  function persianDigits(text) {
    return String(text).replace(/[0-9]/g, function (d) { return PERSIAN[d]; });
  }
  function latinDigits(text) {
    return String(text)
      .replace(/[۰-۹]/g, function (d) { return String(d.charCodeAt(0) - 0x06f0); })
      .replace(/[٠-٩]/g, function (d) { return String(d.charCodeAt(0) - 0x0660); });
  }
  function pad(number) { return number < 10 ? "0" + number : String(number); }

  /* Dates are UTC midnights (milliseconds), so no time zone shifts a day. */
  function toJalali(ms) {
    var result = {};
    parts.formatToParts(new Date(ms)).forEach(function (part) {
      if (part.type === "year" || part.type === "month" || part.type === "day") {
        result[part.type] = parseInt(part.value, 10);
      }
    });
    return result;
  }
  function dayOfYear(month, day) { return (month <= 7 ? (month - 1) * 31 : 186 + (month - 7) * 30) + day; }
  function toGregorian(year, month, day) {
    /* March 25 always falls early in Farvardin of Jalali year (Gregorian year - 621). */
    var anchor = Date.UTC(year + 621, 2, 25);
    var known = toJalali(anchor);
    return anchor + (dayOfYear(month, day) - dayOfYear(known.month, known.day)) * DAY_MS;
  }
  function daysInMonth(year, month) {
    if (month <= 6) return 31;
    if (month <= 11) return 30;
    return toJalali(toGregorian(year, 12, 1) + 29 * DAY_MS).month === 12 ? 30 : 29;
  }
  function today() {
    var now = new Date();
    return Date.UTC(now.getFullYear(), now.getMonth(), now.getDate());
  }
  /* The box's date as a UTC midnight, and whatever follows it (a time), or null. */
  function readBox(input) {
    var match = DATE_TEXT.exec(latinDigits(input.value.trim()));
    if (!match) return null;
    var year = +match[1], month = +match[3], day = +match[4];
    if (month < 1 || month > 12 || day < 1) return null;
    var ms;
    if (year >= 1700) {
      ms = Date.UTC(year, month - 1, day);
      if (new Date(ms).getUTCDate() !== day) return null;
    } else {
      if (day > daysInMonth(year, month)) return null;
      ms = toGregorian(year, month, day);
    }
    return { ms: ms, rest: match[5] };
  }
  /* Saturday opens the Iranian week: column 0 is Saturday. */
  function column(ms) { return (new Date(ms).getUTCDay() + 1) % 7; }

  function make(tag, className, attributes) {
    var element = document.createElement(tag);
    if (className) element.className = className;
    Object.keys(attributes || {}).forEach(function (name) { element.setAttribute(name, attributes[name]); });
    return element;
  }

  function enhance(input) {
    var labels = JSON.parse(input.getAttribute("data-jalali-picker") || "{}");
    var id = (input.id || "jalali") + "-picker-" + (++counter);
    input.setAttribute("data-jalali-ready", "");

    var wrap = make("span", "jp-field");
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var toggle = make("button", "jp-toggle", {
      type: "button", "aria-haspopup": "dialog", "aria-expanded": "false", "aria-controls": id,
      "aria-label": labels.open || "", title: labels.open || ""
    });
    toggle.innerHTML = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">' +
      '<path fill="currentColor" d="M7 2h2v2h6V2h2v2h3a1 1 0 0 1 1 1v15a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h3V2Zm12 8H5v9h14v-9ZM5 8h14V6H5v2Zm2 4h3v3H7v-3Z"/></svg>';
    wrap.appendChild(toggle);

    var dialog = make("div", "jp-popup", { id: id, role: "dialog", "aria-labelledby": id + "-title" });
    dialog.hidden = true;
    var head = make("div", "jp-head");
    var prev = make("button", "jp-nav", { type: "button", "aria-label": labels.prev || "" });
    prev.textContent = "›";
    var title = make("h2", "jp-title", { id: id + "-title", "aria-live": "polite" });
    var next = make("button", "jp-nav", { type: "button", "aria-label": labels.next || "" });
    next.textContent = "‹";
    head.appendChild(prev); head.appendChild(title); head.appendChild(next);
    var grid = make("table", "jp-grid", { role: "grid", "aria-labelledby": id + "-title" });
    var headRow = make("tr");
    var saturday = Date.UTC(2024, 0, 6);
    for (var c = 0; c < 7; c++) {
      var cell = make("th", "", { scope: "col", abbr: weekdayLong.format(new Date(saturday + c * DAY_MS)) });
      cell.textContent = weekdayNarrow.format(new Date(saturday + c * DAY_MS));
      headRow.appendChild(cell);
    }
    var thead = make("thead");
    thead.appendChild(headRow);
    var body = make("tbody");
    grid.appendChild(thead); grid.appendChild(body);
    var hint = make("p", "jp-hint", { id: id + "-hint" });
    hint.textContent = labels.hint || "";
    grid.setAttribute("aria-describedby", hint.id);
    dialog.appendChild(head); dialog.appendChild(grid); dialog.appendChild(hint);
    wrap.appendChild(dialog);

    var focused = today();   /* the day with the roving tab stop */
    var selected = null;

    function render(moveFocus) {
      var j = toJalali(focused);
      var first = toGregorian(j.year, j.month, 1);
      var count = daysInMonth(j.year, j.month);
      title.textContent = monthName.format(new Date(first)) + " " + persianDigits(j.year);
      body.textContent = "";
      var row = make("tr");
      for (var blank = 0; blank < column(first); blank++) row.appendChild(make("td"));
      for (var day = 1; day <= count; day++) {
        var ms = first + (day - 1) * DAY_MS;
        if (row.children.length === 7) { body.appendChild(row); row = make("tr"); }
        var td = make("td", "", { role: "gridcell" });
        var button = make("button", "jp-day", {
          type: "button", tabindex: ms === focused ? "0" : "-1", "data-ms": String(ms),
          /* Spelled out as the pages write dates (Intl's own full pattern puts the year first). */
          "aria-label": weekdayLong.format(new Date(ms)) + " " + persianDigits(day) + " " +
            monthName.format(new Date(ms)) + " " + persianDigits(j.year)
        });
        if (ms === selected) { td.setAttribute("aria-selected", "true"); button.classList.add("is-selected"); }
        if (ms === today()) button.setAttribute("aria-current", "date");
        button.textContent = persianDigits(day);
        td.appendChild(button);
        row.appendChild(td);
      }
      while (row.children.length < 7) row.appendChild(make("td"));
      body.appendChild(row);
      if (moveFocus) body.querySelector('[tabindex="0"]').focus();
    }
    function open() {
      var current = readBox(input);
      selected = current ? current.ms : null;
      focused = selected === null ? today() : selected;
      dialog.hidden = false;
      toggle.setAttribute("aria-expanded", "true");
      render(true);
    }
    function close(refocus) {
      if (dialog.hidden) return;
      dialog.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      if (refocus) toggle.focus();
    }
    function pick(ms) {
      var current = readBox(input);
      var j = toJalali(ms);
      input.value = persianDigits(j.year + "/" + pad(j.month) + "/" + pad(j.day)) + (current ? current.rest : "");
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      close(true);
    }
    function moveMonths(by) {
      var j = toJalali(focused);
      var month = j.month - 1 + by;
      var year = j.year + Math.floor(month / 12);
      month = ((month % 12) + 12) % 12 + 1;
      focused = toGregorian(year, month, Math.min(j.day, daysInMonth(year, month)));
    }

    toggle.addEventListener("click", function () { if (dialog.hidden) open(); else close(false); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && event.altKey) { event.preventDefault(); open(); }
    });
    prev.addEventListener("click", function () { moveMonths(-1); render(false); });
    next.addEventListener("click", function () { moveMonths(1); render(false); });
    body.addEventListener("click", function (event) {
      var button = event.target.closest(".jp-day");
      if (button) pick(+button.getAttribute("data-ms"));
    });
    grid.addEventListener("keydown", function (event) {
      if (!event.target.classList.contains("jp-day")) return;
      var rtl = getComputedStyle(dialog).direction === "rtl";
      var j = toJalali(focused);
      var step = {
        ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1, ArrowUp: -7, ArrowDown: 7,
        Home: -column(focused), End: 6 - column(focused)
      }[event.key];
      if (step !== undefined) {
        focused += step * DAY_MS;
      } else if (event.key === "PageUp" || event.key === "PageDown") {
        moveMonths((event.key === "PageUp" ? -1 : 1) * (event.shiftKey ? 12 : 1));
      } else {
        return;   /* Enter and Space press the day's button */
      }
      event.preventDefault();
      var moved = toJalali(focused);
      if (moved.month === j.month && moved.year === j.year) {
        var old = body.querySelector('[tabindex="0"]');
        var fresh = body.querySelector('[data-ms="' + focused + '"]');
        old.setAttribute("tabindex", "-1");
        fresh.setAttribute("tabindex", "0");
        fresh.focus();
      } else {
        render(true);
      }
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); close(true); }
    });
    wrap.addEventListener("focusout", function (event) {
      if (!dialog.hidden && event.relatedTarget && !wrap.contains(event.relatedTarget)) close(false);
    });
    document.addEventListener("click", function (event) {
      if (!dialog.hidden && !wrap.contains(event.target)) close(false);
    });
  }

  function enhanceAll() {
    document.querySelectorAll("input[data-jalali-picker]:not([data-jalali-ready])").forEach(enhance);
  }
  document.addEventListener("DOMContentLoaded", function () {
    enhanceAll();
    /* The upload form and htmx swap in fresh forms after a refusal: give their boxes a calendar. */
    new MutationObserver(enhanceAll).observe(document.body, { childList: true, subtree: true });
  });
})();
