/* The task page's player (templates/tasks_app/transcripts/_player.html) and its transcript: the
   segment being spoken is highlighted (class "is-current", aria-current) and kept in view; a
   click on a segment's time, a word or its text plays from there; keys: Space play/pause, ←/→
   5 seconds, [ ] previous/next segment, ignored while typing; the speed menu (0.5–2×) is
   remembered. `#t=12.5` in the address (search results link there) starts at that moment. Segments are `li.seg[data-start]` (the workspace)
   or `.segment[data-start]` (the plain transcript). Listeners sit on the document and segments
   are looked up again after htmx swaps, so edits and polls never leave the player behind. */
(function () {
  "use strict";

  var SEGMENTS = "li.seg[data-start], .segment[data-start]";
  var STEP_SECONDS = 5;
  var RATE_KEY = "writers.playbackRate";
  // After the reader scrolls the transcript, it stops following the player for a while.
  var FOLLOW_PAUSE_MS = 4000;

  var segments = null;
  var current = null;
  var currentWord = null;
  var userScrolledAt = 0;
  var frame = 0;
  var retriedAt = 0;

  function player() {
    return document.getElementById("player");
  }

  function allSegments() {
    if (!segments) {
      segments = Array.prototype.slice.call(document.querySelectorAll(SEGMENTS)).filter(function (el) {
        return isFinite(parseFloat(el.dataset.start));
      });
    }
    return segments;
  }

  function forget() {
    segments = null;
    current = null;
    currentWord = null;
  }

  function startOf(el) {
    return parseFloat(el.dataset.start);
  }

  /* Index of the last segment that starts at or before `time` (-1 before the first). */
  function indexAt(time) {
    var list = allSegments();
    var low = 0;
    var high = list.length - 1;
    var found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (startOf(list[middle]) <= time + 0.001) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return found;
  }

  function scrollParent(el) {
    for (var node = el.parentElement; node && node !== document.body; node = node.parentElement) {
      var overflow = getComputedStyle(node).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollHeight > node.clientHeight) return node;
    }
    return null;
  }

  function reveal(el) {
    if (Date.now() - userScrolledAt < FOLLOW_PAUSE_MS) return;
    // Never move the page under someone editing a segment.
    if (document.querySelector("#workspace .seg-form")) return;
    var box = scrollParent(el);
    if (box) {
      var top = el.getBoundingClientRect().top - box.getBoundingClientRect().top;
      if (top < 0 || top + el.offsetHeight > box.clientHeight) {
        box.scrollTop += top - box.clientHeight / 3;
      }
      return;
    }
    var rect = el.getBoundingClientRect();
    var panel = document.getElementById("player-panel");
    var covered = panel ? panel.getBoundingClientRect().bottom : 0;
    if (rect.top < Math.max(covered, 0) || rect.bottom > window.innerHeight) {
      el.scrollIntoView({ block: "center" });
    }
  }

  function mark(time, follow) {
    var list = allSegments();
    var index = indexAt(time);
    var el = index >= 0 ? list[index] : null;
    if (el && !el.isConnected) {
      forget();
      return mark(time, follow);
    }
    if (el !== current) {
      if (current) {
        current.classList.remove("is-current");
        current.removeAttribute("aria-current");
      }
      current = el;
      if (el) {
        el.classList.add("is-current");
        el.setAttribute("aria-current", "true");
        if (follow) reveal(el);
      }
    }
    markWord(el, time);
  }

  function markWord(segment, time) {
    var word = null;
    if (segment) {
      var words = segment.querySelectorAll(".w[data-start]");
      for (var i = 0; i < words.length && parseFloat(words[i].dataset.start) <= time + 0.001; i++) {
        word = words[i];
      }
    }
    if (word === currentWord) return;
    if (currentWord) currentWord.classList.remove("is-current-word");
    currentWord = word;
    if (word) word.classList.add("is-current-word");
  }

  function tick() {
    var media = player();
    frame = 0;
    if (!media) return;
    mark(media.currentTime, true);
    if (!media.paused) frame = requestAnimationFrame(tick);
  }

  function follow() {
    if (!frame) frame = requestAnimationFrame(tick);
  }

  function seek(time, play) {
    var media = player();
    var target = Math.max(0, time);
    if (media) {
      if (isFinite(media.duration)) target = Math.min(target, media.duration);
      media.currentTime = target;
      if (play && media.paused) media.play().catch(function () {});
    }
    userScrolledAt = 0;
    mark(target, true);
  }

  function step(offset) {
    var list = allSegments();
    var media = player();
    if (!list.length || !media) return;
    var index = indexAt(media.currentTime) + offset;
    if (offset < 0 && index < 0) index = 0;
    if (index >= list.length) return;
    seek(startOf(list[Math.max(index, 0)]), false);
  }

  function typing(el) {
    if (!el || !el.closest) return false;
    return Boolean(el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])"));
  }

  /* Space belongs to the focused control (a button, a link, a checkbox, the native player),
     except the player's own seek targets and the page itself. */
  function spaceIsOurs(el) {
    if (!el || el === document.body || !el.closest) return true;
    if (el.closest(".seg-time, .w, .seg-text")) return true;
    return !el.closest("button, a[href], summary, audio, video, [role=button], [tabindex]:not(li.seg)");
  }

  document.addEventListener("keydown", function (event) {
    var media = player();
    if (!media || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (typing(target)) return;
    if (target === media && (event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === " ")) return;
    switch (event.key) {
      case " ":
        if (!spaceIsOurs(target)) return;
        if (media.paused) media.play().catch(function () {});
        else media.pause();
        break;
      case "ArrowLeft":
        seek(media.currentTime - STEP_SECONDS, false);
        break;
      case "ArrowRight":
        seek(media.currentTime + STEP_SECONDS, false);
        break;
      case "[":
        step(-1);
        break;
      case "]":
        step(1);
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest || !player()) return;
    var button = target.closest("[data-seek]");
    if (button) {
      seek(parseFloat(button.dataset.seek), true);
      return;
    }
    var segment = target.closest(SEGMENTS);
    if (!segment || segment.classList.contains("is-editing") || segment.querySelector(".seg-form")) return;
    if (target.closest("a, button, input, label, select, textarea, form")) return;
    // Selecting text to copy it is not a request to play.
    var selection = window.getSelection && window.getSelection();
    if (selection && !selection.isCollapsed && segment.contains(selection.anchorNode)) return;
    var word = target.closest(".w[data-start]");
    if (word) {
      seek(parseFloat(word.dataset.start), true);
    } else if (target.closest(".seg-text") || segment.matches(".segment")) {
      seek(startOf(segment), true);
    }
  });

  ["wheel", "touchmove"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (event.target.closest && event.target.closest("#transcript-segments, .transcript")) userScrolledAt = Date.now();
    }, { passive: true });
  });

  document.addEventListener("change", function (event) {
    if (event.target.id !== "player-speed") return;
    var media = player();
    var rate = parseFloat(event.target.value);
    if (!media || !(rate >= 0.5 && rate <= 2)) return;
    media.playbackRate = rate;
    media.defaultPlaybackRate = rate;
    try { localStorage.setItem(RATE_KEY, String(rate)); } catch (error) { /* private mode */ }
  });

  /* Media events do not bubble: listen in the capture phase, so a player swapped in later by
     htmx is heard too. */
  function onMedia(name, handler) {
    document.addEventListener(name, function (event) {
      if (event.target && event.target.id === "player") handler(event.target);
    }, true);
  }

  onMedia("play", follow);
  onMedia("seeked", function (media) { mark(media.currentTime, true); });
  onMedia("timeupdate", function (media) { if (media.paused) mark(media.currentTime, false); });
  onMedia("ratechange", function (media) {
    var select = document.getElementById("player-speed");
    if (select && parseFloat(select.value) !== media.playbackRate) select.value = String(media.playbackRate);
  });
  onMedia("loadedmetadata", function () {
    var error = document.getElementById("player-error");
    if (error) error.hidden = true;
  });
  /* The file is fetched with the sign-in cookie, which expires (ACCESS_TOKEN_EXPIRE_MINUTES):
     a request refused then is retried once after refreshing the cookies, from where it was. */
  onMedia("error", function (media) {
    var error = document.getElementById("player-error");
    if (Date.now() - retriedAt < 30000) {
      if (error) error.hidden = false;
      return;
    }
    retriedAt = Date.now();
    var at = media.currentTime;
    var headers = {};
    try { headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}"); } catch (e) { headers = {}; }
    fetch("/api/v1/auth/refresh", { method: "POST", credentials: "same-origin", headers: headers })
      .then(function (response) {
        if (!response.ok) throw new Error("refresh refused");
        media.load();
        media.currentTime = at;
      })
      .catch(function () { if (error) error.hidden = false; });
  });

  /* search.js scrolls to and highlights the moment; the player starts there. */
  function startAtFragment() {
    var match = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    var media = player();
    if (!match || !media) return;
    var time = parseFloat(match[1]);
    media.currentTime = time;
    mark(time, false);
  }

  /* The player stays at the top of the window: what the keyboard or a link scrolls to stops
     below it instead of under it. */
  var observed = null;
  var sizes = window.ResizeObserver ? new ResizeObserver(function (entries) {
    var height = entries[0].target.isConnected ? entries[0].target.offsetHeight : 0;
    document.documentElement.style.scrollPaddingTop = height ? height + 8 + "px" : "";
  }) : null;

  /* Once per player element: at load, or when a poll swaps one in as the task completes. */
  function setUp() {
    forget();
    var media = player();
    var panel = document.getElementById("player-panel");
    if (sizes && panel !== observed) {
      if (observed) sizes.unobserve(observed);
      if (panel) sizes.observe(panel);
      else document.documentElement.style.scrollPaddingTop = "";
      observed = panel;
    }
    if (!media || media.dataset.ready) return;
    media.dataset.ready = "1";
    var rate = media.playbackRate;
    try {
      var saved = parseFloat(localStorage.getItem(RATE_KEY));
      if (saved >= 0.5 && saved <= 2) rate = saved;
    } catch (error) { /* private mode */ }
    var select = document.getElementById("player-speed");
    // A poll's morph puts the menu back to 1×: it shows the rate playing.
    if (select && select.querySelector('option[value="' + rate + '"]')) {
      select.value = String(rate);
      media.defaultPlaybackRate = rate;
      media.playbackRate = rate;
    }
    mark(media.currentTime, false);
  }

  document.addEventListener("htmx:afterSettle", function () {
    var media = player();
    setUp();
    if (media) mark(media.currentTime, false);
  });
  window.addEventListener("hashchange", startAtFragment);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(); startAtFragment(); });
  } else {
    setUp();
    startAtFragment();
  }
})();
