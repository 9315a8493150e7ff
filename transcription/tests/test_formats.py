from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import docx
import pysubs2
import pytest

from conftest import JFK_FLAC
from transcription import engine
from transcription.formats import render, render_download
from transcription.tests.conftest import assert_jfk

SRT_TIME = r"(\d\d):(\d\d):(\d\d),(\d\d\d)"
VTT_TIME = r"(\d\d):(\d\d):(\d\d)\.(\d\d\d)"


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return engine.transcribe(JFK_FLAC, engine.Options(model_name="tiny.en"), task_id="t")


def seconds(match: tuple[str, ...]) -> float:
    hours, minutes, secs, millis = (int(part) for part in match)
    return hours * 3600 + minutes * 60 + secs + millis / 1000


def assert_increasing(times: list[tuple[float, float]]) -> None:
    assert times
    for (start, end), (next_start, _next_end) in zip(times, times[1:], strict=False):
        assert start <= end <= next_start + 0.001
    assert all(start <= end for start, end in times)


def test_it_renders_srt(result: dict[str, Any]) -> None:
    blocks = render(result, "srt").strip().split("\n\n")

    times = []
    for number, block in enumerate(blocks, start=1):
        index, timing, text = block.split("\n", 2)
        assert index == str(number)
        matched = re.fullmatch(f"{SRT_TIME} --> {SRT_TIME}", timing).groups()
        start, end = seconds(matched[:4]), seconds(matched[4:])
        times.append((start, end))
        assert text.strip()
    assert_increasing(times)
    assert_jfk(" ".join(block.split("\n", 2)[2] for block in blocks))


def test_it_renders_vtt(result: dict[str, Any]) -> None:
    text = render(result, "vtt")

    assert text.startswith("WEBVTT\n\n")
    cues = text[len("WEBVTT\n\n") :].strip().split("\n\n")
    times = []
    for number, cue in enumerate(cues, start=1):
        identifier, timing, _line = cue.split("\n", 2)
        assert identifier == str(number)
        matched = re.fullmatch(f"{VTT_TIME} --> {VTT_TIME}", timing).groups()
        times.append((seconds(matched[:4]), seconds(matched[4:])))
    assert_increasing(times)


def test_it_renders_tsv(result: dict[str, Any]) -> None:
    header, *rows = render(result, "tsv").rstrip("\n").split("\n")

    assert header == "start\tend\ttext"
    times = []
    for row in rows:
        start, end, text = row.split("\t")
        times.append((int(start) / 1000, int(end) / 1000))
        assert text
    assert_increasing(times)


def test_it_renders_txt_and_json(result: dict[str, Any]) -> None:
    assert_jfk(render(result, "txt"))
    assert json.loads(render(result, "json")) == result


def test_it_keeps_cue_times_monotonic_and_skips_empty_segments() -> None:
    messy = {
        "segments": [
            {"start": 3661.5, "end": 3662.0, "text": " one"},
            {"start": 3661.4, "end": 3661.3, "text": "two", "speaker": "B"},
            {"start": 3663.0, "end": 3664.0, "text": "  "},
        ]
    }

    assert render(messy, "srt") == (
        "1\n01:01:01,500 --> 01:01:02,000\none\n\n2\n01:01:01,500 --> 01:01:01,500\nB: two\n\n"
    )
    assert render(messy, "txt") == "one\nB: two\n"


def test_it_rounds_cue_times_to_milliseconds() -> None:
    timed = {"segments": [{"start": 0.0004, "end": 59.9996, "text": "x"}]}
    assert "00:00:00,000 --> 00:01:00,000" in render(timed, "srt")
    assert "00:00:00.000 --> 00:01:00.000" in render(timed, "vtt")


MARKUP = "Use <b>bold</b> & x --> y {braces}"


def test_it_escapes_markup_in_vtt_cue_text() -> None:
    text = render({"segments": [{"start": 1.0, "end": 2.5, "text": MARKUP}]}, "vtt")

    cue_text = text.split("\n")[4]
    assert cue_text == "Use &lt;b&gt;bold&lt;/b&gt; &amp; x --&gt; y {braces}"
    # Read back by a subtitle parser, the cue is one cue whose text, once its character
    # references are decoded (as a WebVTT parser does), is the transcript's.
    parsed = pysubs2.SSAFile.from_string(text, format_="vtt")
    assert [(event.start, event.end) for event in parsed] == [(1000, 2500)]
    assert html.unescape(parsed[0].text) == MARKUP


def test_it_writes_srt_cue_text_as_it_is() -> None:
    text = render({"segments": [{"start": 1.0, "end": 2.5, "text": MARKUP}]}, "srt")

    parsed = pysubs2.SSAFile.from_string(text, format_="srt", keep_html_tags=True)
    assert [(event.start, event.end, event.text) for event in parsed] == [(1000, 2500, MARKUP)]


def test_it_refuses_an_unknown_format(result: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="srt"):
        render(result, "pdf")


SPOKEN = {
    "language": "en",
    "segments": [
        {"start": 0.0, "end": 2.0, "text": " Welcome.", "speaker": "Dr. Karimi"},
        {"start": 2.0, "end": 4.0, "text": "Thanks <all>.", "speaker": "A <B>"},
        {"start": 3725.0, "end": 3726.0, "text": "Bye."},
    ],
}


def test_it_names_speakers_in_every_text_format() -> None:
    assert render(SPOKEN, "srt").split("\n\n")[0].endswith("\nDr. Karimi: Welcome.")
    vtt = render(SPOKEN, "vtt")
    assert "\n<v Dr. Karimi>Welcome.\n" in vtt
    assert "\n<v A &lt;B&gt;>Thanks &lt;all&gt;.\n" in vtt
    assert render(SPOKEN, "txt") == "Dr. Karimi: Welcome.\nA <B>: Thanks <all>.\nBye.\n"
    assert render(SPOKEN, "tsv").splitlines()[1] == "0\t2000\tDr. Karimi: Welcome."


def docx_paragraphs(content: bytes) -> list[Any]:
    return docx.Document(io.BytesIO(content)).paragraphs


def test_it_renders_docx_with_times_and_speakers() -> None:
    content = render_download(SPOKEN, "docx")
    assert content.startswith(b"PK")
    paragraphs = docx_paragraphs(content)
    assert [p.text for p in paragraphs] == [
        "[00:00] Dr. Karimi: Welcome.",
        "[00:02] A <B>: Thanks <all>.",
        "[1:02:05] Bye.",
    ]
    assert paragraphs[0].runs[1].bold
    assert not paragraphs[0]._p.xpath("./w:pPr/w:bidi")


def test_it_heads_a_docx_with_its_title() -> None:
    content = render_download(SPOKEN, "docx", title="Interview")
    document = docx.Document(io.BytesIO(content))
    assert document.core_properties.title == "Interview"
    heading, first, *_rest = document.paragraphs
    assert heading.text == "Interview" and heading.style.name == "Heading 1"
    assert first.text == "[00:00] Dr. Karimi: Welcome."
    [persian] = docx.Document(io.BytesIO(render_download(SPOKEN, "docx", "مصاحبه"))).paragraphs[:1]
    assert persian._p.xpath("./w:pPr/w:bidi")


def test_it_writes_persian_segments_right_to_left_in_docx() -> None:
    mixed = {
        "segments": [
            {"start": 0.0, "end": 2.0, "text": "سلام دوستان", "speaker": "Speaker 1"},
            {"start": 2.0, "end": 3.0, "text": "Hello", "language": "en"},
            {"start": 3.0, "end": 4.0, "text": "OK", "language": "fa"},
        ]
    }
    persian, english, tagged = docx_paragraphs(render_download(mixed, "docx"))
    assert persian.text == "[00:00] Speaker 1: سلام دوستان"
    assert persian._p.xpath("./w:pPr/w:bidi")
    assert all(run._r.xpath("./w:rPr/w:rtl") for run in persian.runs)
    assert not english._p.xpath("./w:pPr/w:bidi")
    assert tagged._p.xpath("./w:pPr/w:bidi")


def test_it_renders_a_document_without_segments_from_its_text() -> None:
    [paragraph] = docx_paragraphs(render_download({"text": "Just text", "segments": []}, "docx"))
    assert paragraph.text == "Just text"
    assert render_download({"segments": []}, "txt") == b"\n"
