"""Renderers from the result JSON (docs/CONTRACTS.md) to the download formats."""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import pysubs2

# Format → (content type, file extension).
FORMATS: dict[str, tuple[str, str]] = {
    "txt": ("text/plain; charset=utf-8", "txt"),
    "srt": ("application/x-subrip; charset=utf-8", "srt"),
    "vtt": ("text/vtt; charset=utf-8", "vtt"),
    "tsv": ("text/tab-separated-values; charset=utf-8", "tsv"),
    "json": ("application/json", "json"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
}
# Languages written right to left (Whisper's codes): their segments run right to left in docx.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ps", "sd", "ur", "yi", "ug", "dv", "ku"})


class Cue(NamedTuple):
    start: float
    end: float
    text: str
    speaker: str
    language: str


def cues(result: dict[str, Any]) -> Iterator[Cue]:
    """A cue per non-empty segment, with times made monotonic; `speaker` is "" when unnamed.

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
        speaker = " ".join(str(segment.get("speaker") or "").split())
        language = str(segment.get("language") or result.get("language") or "")
        yield Cue(start, end, text, speaker, language)


def named(cue: Cue) -> str:
    """The cue's text after its speaker's name, as transcripts are written: "Name: text"."""
    return f"{cue.speaker}: {cue.text}" if cue.speaker else cue.text


def render_txt(result: dict[str, Any]) -> str:
    lines = [named(cue) for cue in cues(result)]
    return "\n".join(lines) + "\n" if lines else result.get("text", "") + "\n"


def render_srt(result: dict[str, Any]) -> str:
    # SubRip has no escapes: its players read <i> and <b> as styling, so text goes out as is.
    timed = ((cue.start, cue.end, named(cue)) for cue in cues(result))
    return _subtitles(timed).to_string("srt", keep_ssa_tags=True)


def render_vtt(result: dict[str, Any]) -> str:
    # WebVTT cue text is markup: "&" and "<" must be character references and "-->" may not
    # appear at all (https://www.w3.org/TR/webvtt1/#cue-text); pysubs2 writes text as given.
    # The speaker goes in a voice span, `<v Name>`, which players show and style.
    escaped = (
        (cue.start, cue.end, _voice(cue.speaker) + vtt_escape(cue.text)) for cue in cues(result)
    )
    return _subtitles(escaped).to_string("vtt", keep_ssa_tags=True)


def _voice(speaker: str) -> str:
    return f"<v {vtt_escape(speaker)}>" if speaker else ""


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
        f"{round(cue.start * 1000)}\t{round(cue.end * 1000)}\t{' '.join(named(cue).split())}"
        for cue in cues(result)
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
    """One of the text formats (RENDERERS) as text."""
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"Unknown format '{fmt}'; choose one of {', '.join(RENDERERS)}.") from None
    return renderer(result)


def render_download(result: dict[str, Any], fmt: str, title: str = "") -> bytes:
    """Any of FORMATS as the bytes of a download; a docx is headed by `title`."""
    if fmt == "docx":
        return render_docx(result, title)
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}'; choose one of {', '.join(FORMATS)}.")
    return render(result, fmt).encode("utf-8")


def render_docx(result: dict[str, Any], title: str = "") -> bytes:
    """A Word document: the title, then a paragraph per segment with its time and speaker;
    segments in a right-to-left language (or, without one, whose text starts in such a script)
    run right to left."""
    # python-docx loads lxml and its templates: only the processes that write a docx pay for it.
    import docx
    from docx.shared import RGBColor

    document = docx.Document()
    if title:
        document.core_properties.title = title
        heading = document.add_heading(title, level=1)
        if is_right_to_left(title):
            _right_to_left(heading)
    lines = list(cues(result))
    for cue in lines:
        paragraph = document.add_paragraph()
        time = paragraph.add_run(f"[{clock(cue.start)}] ")
        time.font.color.rgb = RGBColor(0x66, 0x66, 0x66)
        if cue.speaker:
            paragraph.add_run(f"{cue.speaker}: ").bold = True
        paragraph.add_run(cue.text)
        if is_right_to_left(cue.text, cue.language):
            _right_to_left(paragraph)
    if not lines:
        for text in str(result.get("text") or "").splitlines():
            paragraph = document.add_paragraph(text)
            if is_right_to_left(text, str(result.get("language") or "")):
                _right_to_left(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def clock(seconds: float) -> str:
    """12.5 → "00:12", 3723 → "1:02:03"."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def is_right_to_left(text: str, language: str = "") -> bool:
    if language:
        return language in RTL_LANGUAGES
    for character in text:
        direction = unicodedata.bidirectional(character)
        if direction in ("R", "AL"):
            return True
        if direction == "L":
            return False
    return False


def _right_to_left(paragraph: Any) -> None:
    # python-docx has no switch for this: <w:bidi/> makes the paragraph run right to left and
    # <w:rtl/> each run's characters.
    from docx.oxml import OxmlElement

    paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    for run in paragraph.runs:
        run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))
