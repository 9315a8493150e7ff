"""Recordings of several synthetic voices taking turns, with the truth of who speaks when, and
the diarization error of labels against it. Used by the speaker tests and `make bench`.

espeak-ng voices, not people: the only voices a test can make offline. Its male and female
English variants (en-us, en+f3) are as different as two real speakers; two of its male voices
are much closer than two real men (SPEAKERS-FACTS.md)."""

from __future__ import annotations

import io
import itertools
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

SAMPLE_RATE = 16000
SENTENCES = (
    "The weather today is quite pleasant, with a light breeze from the west.",
    "I think we should review the quarterly budget before the meeting on Friday.",
    "Did you remember to send the report to the client yesterday afternoon?",
    "Yes, I sent it in the morning and they replied within an hour.",
    "Let us schedule another call next week to discuss the remaining issues.",
    "The new library opens at nine and closes late in the evening on weekdays.",
    "Please bring your notebook and a pen to the workshop tomorrow.",
    "Our team finished the project two days ahead of the deadline.",
)
# Silence between turns, as in a calm conversation.
PAUSE_SECONDS = 0.4
# (start, end, voice index) of each turn.
Truth = list[tuple[float, float, int]]


def say(text: str, voice: str) -> np.ndarray:
    """espeak-ng's speech for `text` as 16 kHz float samples."""
    wav = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "165", "--stdout", text],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with wave.open(io.BytesIO(wav)) as source:
        rate = source.getframerate()
        samples = np.frombuffer(source.readframes(source.getnframes()), dtype=np.int16)
    samples = samples.astype(np.float32) / 32768
    count = int(len(samples) * SAMPLE_RATE / rate)
    return np.interp(
        np.linspace(0, len(samples) - 1, count), np.arange(len(samples)), samples
    ).astype(np.float32)


def conversation(
    path: Path, voices: Sequence[str] = ("en-us", "en+f3"), seconds: float = 30.0
) -> Truth:
    """Write a 16 kHz WAV of `voices` taking turns, one sentence each, for about `seconds`;
    returns who speaks when."""
    parts: list[np.ndarray] = []
    truth: Truth = []
    now = 0.0
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), dtype=np.float32)
    for turn in itertools.count():
        if now >= seconds:
            break
        speech = say(SENTENCES[turn % len(SENTENCES)], voices[turn % len(voices)])
        truth.append((now, now + len(speech) / SAMPLE_RATE, turn % len(voices)))
        parts += [speech, pause]
        now += (len(speech) + len(pause)) / SAMPLE_RATE
    pcm = (np.clip(np.concatenate(parts), -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())
    return truth


def diarization_error(
    truth: Truth, segments: Sequence[dict[str, Any]], collar: float = 0.0, step: float = 0.01
) -> float:
    """Share of the true speech time whose label is wrong or missing, under the best matching
    of label names to voices, ignoring `collar` seconds either side of every turn boundary
    (the usual DER collar). `segments` carry "start", "end", "speaker"; overlapping speech is
    not modelled (these recordings have none)."""
    times = np.arange(0.0, max(end for _start, end, _voice in truth) + step, step)
    voices = np.full(len(times), -1)
    scored = np.zeros(len(times), dtype=bool)
    for start, end, voice in truth:
        inside = (times >= start) & (times < end)
        voices[inside] = voice
        scored |= (times >= start + collar) & (times < end - collar)
    names = sorted({segment["speaker"] for segment in segments if segment.get("speaker")})
    labels = np.full(len(times), -1)
    for segment in segments:
        if segment.get("speaker"):
            inside = (times >= segment["start"]) & (times < segment["end"])
            labels[inside] = names.index(segment["speaker"])
    count = max(len(names), max(voice for _s, _e, voice in truth) + 1)
    best = 0
    for mapping in itertools.permutations(range(count), len(names)):
        mapped = np.array([mapping[label] if label >= 0 else -2 for label in labels])
        best = max(best, int(((mapped == voices) & scored).sum()))
    return 1.0 - best / int(scored.sum())
