"""Renderers from the result JSON (docs/CONTRACTS.md) to the download formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

# Format → (content type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "txt": ("text/plain; charset=utf-8", "txt"),
    "srt": ("application/x-subrip; charset=utf-8", "srt"),
    "vtt": ("text/vtt; charset=utf-8", "vtt"),
    "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
    "json": ("application/json", "json"),
}


def timestamp(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


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
    blocks = [
        f"{number}\n{timestamp(start, ',')} --> {timestamp(end, ',')}\n{text}\n"
        for number, (start, end, text) in enumerate(cues(result), start=1)
    ]
    return "\n".join(blocks)


def render_vtt(result: dict[str, Any]) -> str:
    blocks = [
        f"{timestamp(start, '.')} --> {timestamp(end, '.')}\n{text}\n"
        for start, end, text in cues(result)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


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
