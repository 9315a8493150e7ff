/* Relative times ("2 minutes ago", "۲ دقیقه پیش") keep counting while a page stays open, instead
   of waiting for a poll or a reload. The `relative` template filter writes
   <time datetime="ISO" data-relative>text</time>; this rewrites the text every 30 seconds with
   Intl.RelativeTimeFormat in the page's language (<html lang>), in the same units the server
   uses (the largest whole year, month, week, day, hour or minute). Under a minute it keeps the
   server's own words, given on this script's tag (data-just-now, data-soon). */
(function () {
  "use strict";

  var script = document.currentScript;
  var EVERY_MS = 30 * 1000;
  var UNITS = [
    ["year", 365 * 86400], ["month", 30 * 86400], ["week", 7 * 86400],
    ["day", 86400], ["hour", 3600], ["minute", 60],
  ];

  function phrase(format, seconds) {
    if (Math.abs(seconds) < 60) {
      return seconds >= 0 ? script.dataset.justNow : script.dataset.soon;
    }
    for (var i = 0; i < UNITS.length; i++) {
      var count = Math.floor(Math.abs(seconds) / UNITS[i][1]);
      if (count >= 1) return format.format(seconds > 0 ? -count : count, UNITS[i][0]);
    }
    return "";
  }

  function refresh(root) {
    if (!window.Intl || !Intl.RelativeTimeFormat) return;
    var format = new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "always" });
    var now = Date.now();
    (root || document).querySelectorAll("time[data-relative][datetime]").forEach(function (time) {
      var moment = Date.parse(time.getAttribute("datetime"));
      if (isNaN(moment)) return;
      var text = phrase(format, (now - moment) / 1000);
      if (text && time.textContent !== text) time.textContent = text;
    });
  }

  setInterval(refresh, EVERY_MS);
  /* What a poll swaps in was written by the server's clock; bring it in line with this one. */
  document.addEventListener("htmx:afterSettle", function (event) { refresh(event.target); });
})();
