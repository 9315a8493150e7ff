from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from transcription.tests.conftest import assert_jfk


def test_it_prints_the_transcript(jfk_flac: Path) -> None:
    out = io.StringIO()

    call_command("transcribe", str(jfk_flac), "--model", "tiny.en", stdout=out)

    assert_jfk(out.getvalue())


def test_it_prints_subtitles(jfk_flac: Path) -> None:
    out = io.StringIO()

    call_command("transcribe", str(jfk_flac), "--format", "srt", "--vad", stdout=out)

    assert re.match(r"1\n00:00:00,\d{3} --> 00:00:\d\d,\d{3}\n\w", out.getvalue())


def test_it_names_each_channels_speaker_when_told_to_split(jfk_flac: Path) -> None:
    out = io.StringIO()

    # jfk.flac is stereo, the same sound in both channels: split only because it is told to.
    call_command("transcribe", str(jfk_flac), "--channels", "split", stdout=out)

    assert out.getvalue().startswith("Speaker 1: ")
    assert "Speaker 2: " in out.getvalue()


def test_it_explains_a_file_that_is_not_audio(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp3"
    bogus.write_text("not audio at all")

    with pytest.raises(CommandError, match="DECODE_ERROR"):
        call_command("transcribe", str(bogus))
