"""The edits a transcript takes, as pure functions over a list of segments (docs/CONTRACTS.md):
no database, no files, so every rule is tested on plain lists.

A segment: {"id", "start", "end", "text", "speaker", "language", "channel", "words"?}. Ids stay
with a segment across revisions; a split's new half gets the highest id + 1.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

MAX_OPERATIONS = 500
MAX_TEXT_CHARS = 10_000
MAX_SPEAKER_CHARS = 100


class InvalidOperation(ValueError):
    """An operation that cannot apply; `field` names where, like "operations[2].end"."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def normalize(segments: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], Note]:
    """The machine's segments in the transcript's shape: the decoder's own keys (tokens,
    avg_logprob…) dropped, text without Whisper's leading space, times in milliseconds. Ids are
    kept when they are distinct integers, else numbered in order (the same every time, so
    revision 0 always has the same ids)."""
    segments = list(segments)
    ids = [segment.get("id") for segment in segments]
    keep_ids = all(type(i) is int and i >= 0 for i in ids) and len(set(ids)) == len(ids)
    shaped = []
    for index, segment in enumerate(segments):
        item = {
            "id": segment["id"] if keep_ids else index,
            "start": round(float(segment.get("start") or 0), 3),
            "end": round(float(segment.get("end") or 0), 3),
            "text": str(segment.get("text") or "").strip(),
            "speaker": segment.get("speaker") or None,
            "language": segment.get("language") or None,
            "channel": segment.get("channel"),
        }
        if segment.get("words"):
            item["words"] = segment["words"]
        shaped.append(item)
    return shaped


def text_of(segments: Iterable[dict[str, Any]]) -> str:
    """The transcript as one text, as the result's "text" and search read it."""
    return " ".join(text for segment in segments if (text := segment["text"].strip()))


def speakers_of(segments: Iterable[dict[str, Any]]) -> list[str]:
    """The distinct speakers, in order of first appearance."""
    return list(dict.fromkeys(s["speaker"] for s in segments if s.get("speaker")))


@dataclass(frozen=True)
class Match:
    """One segment where a find-and-replace matches: (begin, end) character spans in its text,
    and the text it would have after the replace."""

    id: int
    start: float
    text: str
    spans: tuple[tuple[int, int], ...]
    replaced: str


def find_pattern(
    find: str, *, match_case: bool = False, whole_word: bool = False
) -> re.Pattern[str]:
    body = re.escape(find)
    if whole_word:
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if match_case else re.IGNORECASE)


def matches(
    segments: Iterable[dict[str, Any]],
    find: str,
    replace: str = "",
    *,
    match_case: bool = False,
    whole_word: bool = False,
) -> list[Match]:
    """Every segment a replace of `find` would change: the preview before the replace."""
    if not find:
        return []
    pattern = find_pattern(find, match_case=match_case, whole_word=whole_word)
    found = []
    for segment in segments:
        spans = tuple(m.span() for m in pattern.finditer(segment["text"]))
        if spans:
            replaced = pattern.sub(lambda _m: replace, segment["text"])
            found.append(Match(segment["id"], segment["start"], segment["text"], spans, replaced))
    return found


def apply_operations(
    segments: list[dict[str, Any]], operations: Any
) -> tuple[list[dict[str, Any]], str]:
    """Apply `operations` in order to a copy of `segments`: the new segments and a one-line
    summary of what changed, in the active language (the history shows it as written). All
    or nothing: the first bad operation raises InvalidOperation."""
    if not isinstance(operations, list) or not operations:
        raise InvalidOperation("operations", "Send a non-empty list of operations.")
    if len(operations) > MAX_OPERATIONS:
        raise InvalidOperation("operations", f"At most {MAX_OPERATIONS} operations at once.")
    result = copy.deepcopy(segments)
    notes: list[Note] = []
    for index, operation in enumerate(operations):
        where = f"operations[{index}]"
        if not isinstance(operation, dict):
            raise InvalidOperation(where, "Each operation is an object with an 'op'.")
        handler = HANDLERS.get(operation.get("op"))  # type: ignore[arg-type]
        if handler is None:
            raise InvalidOperation(
                f"{where}.op", f"Unknown operation; use one of: {', '.join(HANDLERS)}."
            )
        result, note = handler(result, _Fields(operation, where))
        notes.append(note)
    return result, _summary(notes)


# What one operation did: (kind, segment id) for those told together ("Edited segments 3, 4"),
# or ("", a sentence).
Note = tuple[str, Any]
TOGETHER = {
    "edit": (gettext_noop("Edited segment %(ids)s"), gettext_noop("Edited segments %(ids)s")),
    "split": (gettext_noop("Split segment %(ids)s"), gettext_noop("Split segments %(ids)s")),
    "delete": (gettext_noop("Deleted segment %(ids)s"), gettext_noop("Deleted segments %(ids)s")),
}


def _summary(notes: list[Note]) -> str:
    ids: dict[str, list[Any]] = {}
    order: list[str] = []
    for kind, value in notes:
        if kind:
            if kind not in ids:
                order.append(kind)
            ids.setdefault(kind, []).append(value)
        else:
            order.append(value)
    sentences = []
    for item in order:
        if item in ids:
            told = list(dict.fromkeys(ids[item]))
            singular, plural = TOGETHER[item]
            item = ngettext(singular, plural, len(told)) % {"ids": ", ".join(map(str, told))}
        sentences.append(item)
    line = "; ".join(dict.fromkeys(sentences))
    return line if len(line) <= 500 else line[:499] + "…"


class _Fields:
    """Reads one operation's fields, raising InvalidOperation that names the field."""

    def __init__(self, operation: dict[str, Any], where: str) -> None:
        self.operation = operation
        self.where = where

    def field(self, name: str) -> str:
        return f"{self.where}.{name}"

    def error(self, name: str, message: str) -> InvalidOperation:
        return InvalidOperation(self.field(name), message)

    def has(self, name: str) -> bool:
        return name in self.operation

    def id(self, segments: list[dict[str, Any]], name: str = "id") -> int:
        value = self.operation.get(name)
        if type(value) is not int:
            raise self.error(name, "A segment id (an integer) is required.")
        if _index(segments, value) is None:
            raise self.error(name, f"No segment has id {value}.")
        return value

    def time(self, name: str) -> float:
        value = self.operation.get(name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.error(name, "A time in seconds (a number) is required.")
        if value < 0:
            raise self.error(name, "Times cannot be negative.")
        return round(float(value), 3)

    def text(self, name: str, *, required: bool = True, limit: int = MAX_TEXT_CHARS) -> str:
        value = self.operation.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise self.error(name, "A string is required.")
        if len(value) > limit:
            raise self.error(name, f"At most {limit} characters.")
        return value

    def flag(self, name: str) -> bool:
        value = self.operation.get(name, False)
        if not isinstance(value, bool):
            raise self.error(name, "Must be true or false.")
        return value


def _index(segments: list[dict[str, Any]], segment_id: int) -> int | None:
    for index, segment in enumerate(segments):
        if segment["id"] == segment_id:
            return index
    return None


def _check_times(
    segments: list[dict[str, Any]], segment: dict[str, Any], fields: _Fields, name: str
) -> None:
    """The segment's times must be in order and clear of its neighbours on the same channel
    (two channels of a stereo call may speak at once)."""
    if segment["start"] >= segment["end"]:
        raise fields.error(name, "The start must be before the end.")
    for other in segments:
        if other is segment or other.get("channel") != segment.get("channel"):
            continue
        if other["start"] < segment["end"] and segment["start"] < other["end"]:
            raise fields.error(
                name,
                f"{segment['start']:.3f}–{segment['end']:.3f} s overlaps segment {other['id']} "
                f"({other['start']:.3f}–{other['end']:.3f} s).",
            )


def _words_text(words: list[dict[str, Any]]) -> str:
    return "".join(str(word.get("word", "")) for word in words).strip()


def _edit(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    index = _index(segments, fields.id(segments))
    assert index is not None
    segment = segments[index]
    if not any(fields.has(name) for name in ("text", "start", "end")):
        raise fields.error("text", "Send the new text, start or end.")
    if fields.has("text"):
        text = fields.text("text").strip()
        if not text:
            raise fields.error("text", "The text is empty; delete the segment instead.")
        segment["text"] = text
        # Word timings belong to the words the machine heard; once the text says something
        # else they would highlight the wrong words.
        if segment.get("words") and _words_text(segment["words"]) != text:
            del segment["words"]
    moved = ""
    for name in ("start", "end"):
        if fields.has(name):
            segment[name] = fields.time(name)
            moved = name
    if moved:
        _check_times(segments, segment, fields, moved)
        segments.sort(key=lambda s: (s["start"], s["id"]))
    return segments, ("edit", segment["id"])


def _split(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    index = _index(segments, fields.id(segments))
    assert index is not None
    segment = segments[index]
    text = segment["text"]
    at = fields.operation.get("at")
    if type(at) is not int or not 0 < at < len(text):
        raise fields.error(
            "at", f"Split inside the text: a character offset from 1 to {len(text) - 1}."
        )
    head, tail = text[:at].strip(), text[at:].strip()
    if not head or not tail:
        raise fields.error("at", "Both halves of a split need some text.")
    words = segment.get("words") or []
    aligned = bool(words) and _words_text(words) == text
    head_words, tail_words = _split_words(words, at) if aligned else ([], [])
    start, end = segment["start"], segment["end"]
    if fields.has("time"):
        time = fields.time("time")
    else:
        # Where the second half's first word was heard, else as far in as the cut is in the text.
        time = round(float(tail_words[0]["start"]), 3) if tail_words else start
        if not start < time < end:
            time = round(start + (end - start) * at / len(text), 3)
    if not start < time < end:
        raise fields.error(
            "time", f"Split between {segment['start']:.3f} and {segment['end']:.3f} s."
        )
    new_id = max(s["id"] for s in segments) + 1
    second = {**copy.deepcopy(segment), "id": new_id, "start": time, "text": tail}
    segment.update(end=time, text=head)
    segment.pop("words", None)
    second.pop("words", None)
    # A cut inside a word leaves neither half spelled by its words.
    if _words_text(head_words) == head and _words_text(tail_words) == tail:
        segment["words"], second["words"] = head_words, tail_words
    segments.insert(index + 1, second)
    return segments, ("split", segment["id"])


def _split_words(
    words: list[dict[str, Any]], at: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Words before and from the character offset `at` of their stripped joined text; a word
    the offset falls inside goes with the second half."""
    lead = len("".join(str(w.get("word", "")) for w in words)) - len(
        "".join(str(w.get("word", "")) for w in words).lstrip()
    )
    position = -lead
    for index, word in enumerate(words):
        end = position + len(str(word.get("word", "")))
        if end > at:
            return words[:index], words[index:]
        position = end
    return words, []


def _merge(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    index = _index(segments, fields.id(segments))
    assert index is not None
    if index == len(segments) - 1:
        raise fields.error("id", "The last segment has no next segment to merge with.")
    first, second = segments[index], segments[index + 1]
    merged_words = (first.get("words") or []) + (second.get("words") or [])
    keep_words = bool(first.get("words")) and bool(second.get("words"))
    first["text"] = " ".join(t for t in (first["text"].strip(), second["text"].strip()) if t)
    first["start"] = min(first["start"], second["start"])
    first["end"] = max(first["end"], second["end"])
    first.pop("words", None)
    if keep_words:
        first["words"] = merged_words
    del segments[index + 1]
    merged = _("Merged segments %(first)s and %(second)s")
    return segments, ("", merged % {"first": first["id"], "second": second["id"]})


def _delete(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    segment_id = fields.id(segments)
    return [s for s in segments if s["id"] != segment_id], ("delete", segment_id)


def _speaker_name(fields: _Fields, name: str, *, required: bool) -> str | None:
    value = fields.operation.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise fields.error(name, "A speaker name (a string) is required.")
    value = " ".join(value.split())
    if len(value) > MAX_SPEAKER_CHARS:
        raise fields.error(name, f"At most {MAX_SPEAKER_CHARS} characters.")
    if not value and required:
        raise fields.error(name, "The name is empty.")
    return value or None


def _speaker(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    ids = fields.operation.get("ids")
    if not isinstance(ids, list) or not ids:
        raise fields.error("ids", "A non-empty list of segment ids is required.")
    known = {s["id"] for s in segments}
    for position, segment_id in enumerate(ids):
        if type(segment_id) is not int or segment_id not in known:
            raise fields.error(f"ids[{position}]", f"No segment has id {segment_id!r}.")
    speaker = _speaker_name(fields, "speaker", required=False)
    for segment in segments:
        if segment["id"] in ids:
            segment["speaker"] = speaker
    count = len(set(ids))
    if speaker is None:
        cleared = ngettext(
            "Cleared the speaker of segment", "Cleared the speaker of %(count)s segments", count
        )
        return segments, ("", cleared % {"count": count})
    named = ngettext(
        "Set the speaker of segment to %(speaker)s",
        "Set the speaker of %(count)s segments to %(speaker)s",
        count,
    )
    return segments, ("", named % {"count": count, "speaker": speaker})


def _rename_speaker(
    segments: list[dict[str, Any]], fields: _Fields
) -> tuple[list[dict[str, Any]], Note]:
    old = _speaker_name(fields, "from", required=True)
    new = _speaker_name(fields, "to", required=True)
    if old not in speakers_of(segments):
        raise fields.error("from", f"No segment has the speaker {old!r}.")
    for segment in segments:
        if segment.get("speaker") == old:
            segment["speaker"] = new
    return segments, ("", _("Renamed %(old)s to %(new)s") % {"old": old, "new": new})


def _replace(segments: list[dict[str, Any]], fields: _Fields) -> tuple[list[dict[str, Any]], Note]:
    find = fields.text("find", limit=1000)
    if not find.strip():
        raise fields.error("find", "Say what to find.")
    replace = fields.text("replace", required=False, limit=1000)
    found = matches(
        segments,
        find,
        replace,
        match_case=fields.flag("match_case"),
        whole_word=fields.flag("whole_word"),
    )
    if not found:
        raise fields.error("find", f"{find!r} does not occur in the transcript.")
    by_id = {match.id: match for match in found}
    for segment in segments:
        if (match := by_id.get(segment["id"])) is not None:
            segment["text"] = match.replaced.strip()
            if segment.get("words") and _words_text(segment["words"]) != segment["text"]:
                del segment["words"]
    count = sum(len(match.spans) for match in found)
    replaced = ngettext(
        "Replaced %(find)s with %(replace)s (once)",
        "Replaced %(find)s with %(replace)s (%(count)s times)",
        count,
    )
    return segments, ("", replaced % {"find": repr(find), "replace": repr(replace), "count": count})


HANDLERS: dict[
    str, Callable[[list[dict[str, Any]], _Fields], tuple[list[dict[str, Any]], Note]]
] = {
    "edit": _edit,
    "split": _split,
    "merge": _merge,
    "delete": _delete,
    "speaker": _speaker,
    "rename_speaker": _rename_speaker,
    "replace": _replace,
}
