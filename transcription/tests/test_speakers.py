"""transcription.speakers: who speaks when, on espeak-ng voices taking turns (no database, no
Whisper model). The encoder cannot be compared with torch's here (there is no torch); these
tests hold it to what it is for instead."""

from __future__ import annotations

import pickle
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from transcription import engine, speakers
from transcription.tests.voices import conversation, diarization_error


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, list]:
    path = tmp_path_factory.mktemp("voices") / "two.wav"
    truth = conversation(path, ("en-us", "en+f3"), seconds=40)
    with wave.open(str(path)) as source:
        pcm = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)
    return pcm.astype(np.float32) / 32768, truth


def turns_as_segments(truth: list) -> list[dict]:
    return [{"id": i, "start": s, "end": e, "text": "…"} for i, (s, e, _v) in enumerate(truth)]


def test_it_tells_a_male_and_a_female_voice_apart(two_voices: tuple) -> None:
    audio, truth = two_voices
    found = speakers.turns(audio, engine.speech_regions(audio), 2)
    segments = turns_as_segments(truth)
    for segment, name in zip(segments, speakers.assign(segments, found), strict=True):
        segment["speaker"] = name
    # At least 95 % of the speech time carries the right voice (the target).
    assert diarization_error(truth, segments) <= 0.05
    # Numbered in order of first appearance: the first voice is "Speaker 1".
    assert segments[0]["speaker"] == "Speaker 1"
    assert {segment["speaker"] for segment in segments} == {"Speaker 1", "Speaker 2"}


def test_it_labels_each_segment_by_its_words_majority() -> None:
    found = [speakers.Turn(0.0, 2.0, 1), speakers.Turn(2.0, 6.0, 0)]
    words = [
        {"start": 1.0, "end": 1.5, "word": " Hello"},
        {"start": 2.5, "end": 3.5, "word": " there,"},
        {"start": 3.5, "end": 4.5, "word": " friend."},
    ]
    # The segment's own span would say cluster 1 (0–2 s) only slightly less than 0; its words
    # say cluster 0 clearly. The first cluster met gets "Speaker 1" whatever its number.
    segments = [
        {"id": 0, "start": 0.0, "end": 1.9, "text": "Hi."},
        {"id": 1, "start": 1.0, "end": 4.5, "text": "Hello there, friend.", "words": words},
    ]
    assert speakers.assign(segments, found) == ["Speaker 1", "Speaker 2"]


def test_it_gives_the_same_labels_every_time(two_voices: tuple) -> None:
    audio, _truth = two_voices
    regions = engine.speech_regions(audio)
    assert speakers.turns(audio, regions, 2) == speakers.turns(audio, regions, 2)


def test_it_says_when_there_is_no_speech() -> None:
    silence = np.zeros(5 * speakers.SAMPLE_RATE, dtype=np.float32)
    with pytest.raises(speakers.SpeakerError, match="No speech"):
        speakers.turns(silence, engine.speech_regions(silence), 2)


def test_it_loads_only_arrays_from_the_weights_file(tmp_path: Path) -> None:
    weights = speakers.load_weights(speakers.weights_path())
    assert weights["lstm.weight_ih_l0"].shape == (1024, 40)
    assert weights["linear.weight"].shape == (256, 256)
    # A weights file is a pickle, which may call anything: the loader must refuse to.
    evil = tmp_path / "evil.pt"
    with evil.open("wb") as out:
        for header in (1, 1001, {}):
            pickle.dump(header, out)
        pickle.dump(subprocess.Popen, out)
    with pytest.raises(pickle.UnpicklingError, match="subprocess.Popen is not allowed"):
        speakers.load_weights(evil)


def test_it_leaves_a_call_split_by_channel_to_its_channels(tmp_path: Path) -> None:
    # One voice per channel: the engine's channel split names the speakers; labelling by voice
    # would only second-guess it (and with 3 asked for, invent a third).
    from transcription.tests.voices import say

    first, second = say("Good morning, how can I help?", "en-us"), say("I am calling.", "en+f3")
    pause = np.zeros(8000, dtype=np.float32)
    left = np.concatenate([first, pause, np.zeros_like(second)])
    right = np.concatenate([np.zeros_like(first), pause, second])
    path = tmp_path / "call.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes((np.stack([left, right], axis=1) * 32767).astype(np.int16).tobytes())

    result = engine.transcribe(path, engine.Options(model_name="tiny.en", speakers=3))

    assert result["run"]["channels"] == "split"
    assert "speaker_labels" not in result
    assert {segment["speaker"] for segment in result["segments"]} == {"Speaker 1", "Speaker 2"}
