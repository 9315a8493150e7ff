"""Renderers from the result JSON (docs/CONTRACTS.md) to the download formats."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pysubs2

# Format → (content type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "txt": ("text/plain; charset=utf-8", "txt"),
    "srt": ("application/x-subrip; charset=utf-8", "srt"),
    "vtt": ("text/vtt; charset=utf-8", "vtt"),
    "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
    "json": ("application/json", "json"),
}


def cues(result: dict[str, Any]) -> Iterator[tuple[float, float, str]]:
    """(start, end, text) per non-empty segment, with times made monotonic.

    Players reject cues that go backwards; rounding can make a segment start a millisecond
    before the previous one.
    """
    previous_start = 0.0
    for segment in result.get("segments", []):
        text = segment.get("text", "").strip()
        if not text:
            continue
        start = max(float(segment["start"]), previous_start)
        end = max(float(segment["end"]), start)
        previous_start = start
        if speaker := segment.get("speaker"):
            text = f"[{speaker}] {text}"
        yield start, end, text


def render_txt(result: dict[str, Any]) -> str:
    lines = [text for _start, _end, text in cues(result)]
    return "\n".join(lines) + "\n" if lines else result.get("text", "") + "\n"


def render_srt(result: dict[str, Any]) -> str:
    # SubRip has no escapes: its players read <i> and <b> as styling, so text goes out as is.
    return _subtitles(cues(result)).to_string("srt", keep_ssa_tags=True)


def render_vtt(result: dict[str, Any]) -> str:
    # WebVTT cue text is markup: "&" and "<" must be character references and "-->" may not
    # appear at all (https://www.w3.org/TR/webvtt1/#cue-text); pysubs2 writes text as given.
    escaped = ((start, end, vtt_escape(text)) for start, end, text in cues(result))
    return _subtitles(escaped).to_string("vtt", keep_ssa_tags=True)


def vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _subtitles(timed: Iterable[tuple[float, float, str]]) -> pysubs2.SSAFile:
    """The cues as a pysubs2 file; `plaintext` keeps line breaks and `keep_ssa_tags` when
    writing keeps braces, which pysubs2 would otherwise read as SubStation override tags."""
    subtitles = pysubs2.SSAFile()
    for start, end, text in timed:
        event = pysubs2.SSAEvent(start=round(start * 1000), end=round(end * 1000))
        event.plaintext = text
        subtitles.append(event)
    return subtitles


def render_tsv(result: dict[str, Any]) -> str:
    # Whisper's own TSV: integer milliseconds; tabs and newlines in text would break columns.
    rows = ["start\tend\ttext"]
    rows += [
        f"{round(start * 1000)}\t{round(end * 1000)}\t{' '.join(text.split())}"
        for start, end, text in cues(result)
    ]
    return "\n".join(rows) + "\n"


def render_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)


RENDERERS = {
    "txt": render_txt,
    "srt": render_srt,
    "vtt": render_vtt,
    "tsv": render_tsv,
    "json": render_json,
}


def render(result: dict[str, Any], fmt: str) -> str:
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"Unknown format '{fmt}'; choose one of {', '.join(RENDERERS)}.") from None
    return renderer(result)
