"""Stereo recordings with one speaker per channel (a phone call, an interview on two
microphones) are transcribed channel by channel and merged by time; stereo whose channels are
alike (a stereo microphone, music, the same voices in both) is mixed to mono as before."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings

from tasks_app.models import Status, Task
from transcription import engine
from transcription.services import enqueue_task
from transcription.tests.conftest import words

FRONT_DESK = "Good morning, this is the front desk. How can I help you today?"
GUEST = "Hello, my name is Maria and I am calling about my order."


def espeak(directory: Path, voice: str, text: str) -> np.ndarray:
    """16-bit samples of `text` spoken by espeak-ng's `voice` (22,050 Hz mono)."""
    target = directory / f"{voice.replace('+', '_')}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(target), text], check=True, timeout=60)
    with wave.open(str(target)) as source:
        return np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)


def write_wav(target: Path, *channels: np.ndarray) -> Path:
    with wave.open(str(target), "wb") as out:
        out.setnchannels(len(channels))
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(np.stack(channels, axis=1).astype(np.int16).tobytes())
    return target


@pytest.fixture(scope="module")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The front desk (a male voice) then a guest (a female voice), about 7 s: as a call with
    each on their own channel, as the same conversation in both channels, and in mono."""
    directory = tmp_path_factory.mktemp("stereo")
    desk = espeak(directory, "en", FRONT_DESK)
    guest = espeak(directory, "en+f3", GUEST)
    pause = np.zeros(11025, dtype=np.int16)
    left = np.concatenate([desk, pause, np.zeros_like(guest)])
    right = np.concatenate([np.zeros_like(desk), pause, guest])
    return {
        "call": write_wav(directory / "call.wav", left, right),
        "same": write_wav(directory / "same.wav", left + right, left + right),
        "mono": write_wav(directory / "mono.wav", left + right),
    }


@pytest.fixture(scope="module")
def call(voices: dict[str, Path]) -> tuple[dict[str, Any], list[float]]:
    progress: list[float] = []
    result = engine.transcribe(
        voices["call"],
        engine.Options(model_name="tiny.en"),
        on_segment=lambda partial: progress.append(partial["processed_seconds"]),
    )
    return result, progress


def said_by(result: dict[str, Any], speaker: str) -> set[str]:
    return set(words(" ".join(s["text"] for s in result["segments"] if s["speaker"] == speaker)))


def test_it_transcribes_each_channel_as_its_own_speaker(
    call: tuple[dict[str, Any], list[float]],
) -> None:
    result, _progress = call

    assert result["run"]["channels"] == "split"
    assert result["run"]["stereo"]["split"] is True
    assert {"front", "desk", "help"} <= said_by(result, "Speaker 1")
    assert {"maria", "calling", "order"} <= said_by(result, "Speaker 2")
    assert not {"maria", "order"} & said_by(result, "Speaker 1")
    assert {s["channel"] for s in result["segments"] if s["speaker"] == "Speaker 2"} == {1}


def test_it_merges_the_channels_by_time(call: tuple[dict[str, Any], list[float]]) -> None:
    result, _progress = call
    segments = result["segments"]

    assert [s["id"] for s in segments] == list(range(len(segments)))
    assert [s["start"] for s in segments] == sorted(s["start"] for s in segments)
    # The desk speaks first, the guest answers: the text reads as the conversation went.
    assert [s["speaker"] for s in segments][0] == "Speaker 1"
    assert [s["speaker"] for s in segments][-1] == "Speaker 2"
    assert result["text"] == " ".join(s["text"] for s in segments)
    assert result["languages"] == ["en"]


def test_it_reports_progress_over_both_channels(
    call: tuple[dict[str, Any], list[float]],
) -> None:
    result, progress = call

    # One pass per channel: progress climbs through both instead of restarting at 0.
    assert progress == sorted(progress)
    assert progress[-1] <= result["duration"]
    assert progress[0] < result["duration"] / 2 < progress[-1]


def test_the_worker_transcribes_an_uploaded_call_per_channel(
    voices: dict[str, Path], file_task: Any, drain: Any
) -> None:
    task = file_task(voices["call"])
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert (task.status, task.channels) == (Status.COMPLETED, "auto")
    result = json.loads((settings.STORAGE_ROOT / task.result_path).read_text())
    speakers = [s["speaker"] for s in result["segments"]]
    assert list(dict.fromkeys(speakers)) == ["Speaker 1", "Speaker 2"]
    assert "maria" in words(task.transcript_text)


def test_it_mixes_channels_that_carry_the_same_sound(voices: dict[str, Path]) -> None:
    result = engine.transcribe(voices["same"], engine.Options(model_name="tiny.en"))

    assert result["run"]["channels"] == "mix"
    assert result["run"]["stereo"]["split"] is False
    assert {s["speaker"] for s in result["segments"]} == {None}
    assert {"front", "desk", "maria", "order"} <= set(words(result["text"]))


def test_it_splits_when_asked_and_never_when_told_to_mix(voices: dict[str, Path]) -> None:
    forced = engine.transcribe(
        voices["same"], engine.Options(model_name="tiny.en", channels="split")
    )
    mixed = engine.transcribe(voices["call"], engine.Options(model_name="tiny.en", channels="mix"))

    assert forced["run"]["channels"] == "split"
    assert {s["speaker"] for s in forced["segments"]} == {"Speaker 1", "Speaker 2"}
    assert (mixed["run"]["channels"], mixed["run"]["stereo"]) == ("mix", None)
    assert {s["channel"] for s in mixed["segments"]} == {None}


def test_it_never_splits_a_mono_recording(voices: dict[str, Path]) -> None:
    result = engine.transcribe(
        voices["mono"], engine.Options(model_name="tiny.en", channels="split")
    )

    assert (result["run"]["channels"], result["run"]["stereo"]) == ("mix", None)


def test_it_restarts_a_split_recording_instead_of_resuming(
    call: tuple[dict[str, Any], list[float]],
) -> None:
    result, _progress = call
    partial = {**result, "partial": True}

    # Channel after channel, the segments end at no single seam to resume from.
    assert engine.resumable_segments(partial, engine.Options(model_name="tiny.en"), "tiny.en") == []


def noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, int(seconds * 16000)).astype(np.float32)


def test_it_measures_stereo_music_as_one_source() -> None:
    # Two instruments panned apart, playing together, plus what both channels share.
    shared, left_only, right_only = noise(10, 1), noise(10, 2), noise(10, 3)

    verdict = engine.stereo_verdict(shared + left_only, shared + 0.5 * right_only)

    assert verdict["split"] is False
    assert verdict["correlation"] > 0.5


def test_it_measures_a_voice_panned_to_one_side_as_one_source() -> None:
    voice = noise(10, 4)

    verdict = engine.stereo_verdict(voice, 0.01 * voice)

    # Always the left louder: no second speaker on the right.
    assert (verdict["split"], verdict["right_share"]) == (False, 0.0)


def test_it_measures_turns_on_alternate_channels_as_two_speakers() -> None:
    quiet = np.zeros(16000 * 3, dtype=np.float32)
    first, second = noise(3, 5), noise(3, 6)
    # A little crosstalk, as on a real call.
    left = np.concatenate([first, 0.02 * second[::-1], first])
    right = np.concatenate([0.02 * first[::-1], second, quiet])

    verdict = engine.stereo_verdict(left, right)

    assert verdict["split"] is True
    assert (verdict["left_share"], verdict["right_share"]) == (
        pytest.approx(2 / 3, abs=0.02),
        pytest.approx(1 / 3, abs=0.02),
    )


def test_it_measures_two_microphones_that_hear_each_other_as_two_speakers() -> None:
    first, second = noise(3, 7), noise(3, 8)
    # Each microphone hears the other voice 12 dB down, a few milliseconds late.
    left = np.concatenate([first, 0.25 * np.roll(second, 80)])
    right = np.concatenate([0.25 * np.roll(first, 80), second])

    assert engine.stereo_verdict(left, right)["split"] is True


def test_it_takes_the_choice_from_the_task() -> None:
    assert engine.Options.for_task(Task(channels="split")).channels == "split"
    assert engine.Options().channels == "auto"
