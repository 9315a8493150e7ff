"""Batched decoding by default for long audio, on the devices where it was measured to win.

The figures and the verdict per device are in bench/RESULTS.md ("Batched or sequential: the
decision", `make bench-batched`); these tests pin the rule and the engine's choice, not speed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from bench.batched import Run, batched_wins, write_results
from conftest import JFK_TEXT
from transcription import engine
from transcription.tests.conftest import looped_jfk, word_error_rate

# the base model on minutes of audio, about 20 s: run by `make test-slow`.
pytestmark = pytest.mark.slow

# BATCHED_DEVICES as shipped (the CPU's verdict); "long" from 30 s here, not 60, so that three
# times jfk.flac (33 s, tiny.en) is long and cheap. The other tests turn the choice off.
batched_on_cpu = override_settings(MODEL_DEVICE="cpu", BATCHED_LONG_SECONDS=30)


@pytest.fixture(scope="module")
def three_jfk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return looped_jfk(tmp_path_factory.mktemp("audio"), 3)


@pytest.fixture(scope="module")
def long_run(three_jfk: Path) -> dict[str, Any]:
    with batched_on_cpu:
        return engine.transcribe(three_jfk, engine.Options(model_name="tiny.en"))


def run(clip: str, batched: bool, wall: float, wer: float) -> Run:
    return Run(clip, batched, audio_seconds=180, wall_seconds=wall, wer=wer, load=1.0)


def test_it_makes_batched_the_default_only_if_it_wins_on_every_clip() -> None:
    wins = [run("a", False, 60, 0.10), run("a", True, 10, 0.11), run("b", False, 50, 0.2)]

    assert batched_wins([*wins, run("b", True, 9, 0.15)])
    # WER more than 0.01 worse on one clip, however much faster.
    assert not batched_wins([*wins, run("b", True, 9, 0.22)])
    assert not batched_wins([*wins, run("b", True, 51, 0.15)])
    # A clip measured one way only, or nothing measured, proves nothing.
    assert not batched_wins(wins)
    assert not batched_wins([])


def test_it_keeps_the_other_devices_verdict_in_results(tmp_path: Path, monkeypatch: Any) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\n| table |\n\n## On a GPU\n\nNot run yet.\n")
    monkeypatch.setattr("bench.results.RESULTS", results)

    write_results("### CPU\n\nfirst", "cpu")
    write_results("### CUDA\n\ngpu figures", "cuda")
    write_results("### CPU\n\nsecond", "cpu")

    text = results.read_text()
    assert text.startswith("# Benchmark results\n\n| table |\n\n## On a GPU\n\nNot run yet.\n")
    assert text.count("## Batched or sequential: the decision") == 1
    assert "second" in text and "gpu figures" in text and "first" not in text


def test_it_chooses_batched_for_long_audio_on_the_cpu_only(settings: Any) -> None:
    settings.BATCHED_LONG_SECONDS = 60
    plain = engine.Options()

    assert engine.batched_for(plain, 61, "cpu")
    assert not engine.batched_for(plain, 60, "cpu")  # not longer than the limit
    # Not measured on a GPU yet: the GPU keeps the sequential decoder.
    assert not engine.batched_for(plain, 61, "cuda")
    assert engine.batched_for(engine.Options(batched=True), 5, "cuda")  # the task asked
    settings.BATCHED_LONG_SECONDS = 0
    assert not engine.batched_for(plain, 3600, "cpu")


def test_it_decodes_a_long_clip_on_the_cpu_batched(long_run: dict[str, Any]) -> None:
    assert long_run["run"]["batched"]
    assert word_error_rate(" ".join([JFK_TEXT] * 3), long_run["text"]) <= 0.15
    # The batched pipeline gives one segment per speech chunk of up to 30 s (test_engine's
    # batched test); the sequential decoder cuts jfk.flac alone into more than one.
    assert len(long_run["segments"]) <= 3


@batched_on_cpu
def test_it_decodes_a_short_clip_sequentially(jfk_flac: Path) -> None:
    result = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en"))

    assert not result["run"]["batched"]
    assert len(result["segments"]) > 1


@batched_on_cpu
def test_it_resumes_a_long_clip_decoded_batched(three_jfk: Path, long_run: dict[str, Any]) -> None:
    first = long_run["segments"][0]
    partial = {**long_run, "partial": True, "segments": [first], "text": first["text"]}

    result = engine.transcribe(three_jfk, engine.Options(model_name="tiny.en"), resume_from=partial)

    assert result["run"]["resumed_at"] == first["end"]
    assert result["segments"][0] == first
    segments = result["segments"]
    assert all(b["start"] >= a["end"] for a, b in zip(segments, segments[1:], strict=False))
    assert result["run"]["batched"]
    assert word_error_rate(" ".join([JFK_TEXT] * 3), result["text"]) <= 0.15
