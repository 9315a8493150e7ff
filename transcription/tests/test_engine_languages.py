"""A recording that changes language partway is transcribed in each language as spoken, and
every segment says which language it is in."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from transcription import engine
from transcription.tests.conftest import words

GERMAN = (
    "Guten Morgen. Heute ist das Wetter in Berlin sehr schön. Ich trinke einen Kaffee und lese "
    "die Zeitung. Am Nachmittag gehe ich mit meinem Hund in den Park."
)
ENGLISH = (
    "The meeting starts at nine tomorrow morning. Please bring the quarterly report and your "
    "laptop. We will discuss the budget for next year."
)


@pytest.fixture(scope="module")
def german_then_english(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """17 s: 9 s of German, then 8 s of English, one voice (espeak-ng)."""
    directory = tmp_path_factory.mktemp("languages")
    for language, text in (("de", GERMAN), ("en", ENGLISH)):
        subprocess.run(
            ["espeak-ng", "-v", language, "-w", str(directory / f"{language}.wav"), text],
            check=True,
            timeout=60,
        )
    target = directory / "de_en.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(directory / "de.wav")]
        + ["-i", str(directory / "en.wav"), "-filter_complex", "concat=n=2:v=0:a=1", str(target)],
        check=True,
        timeout=60,
    )
    return target


@pytest.mark.slow
def test_it_transcribes_each_language_as_spoken(german_then_english: Path, base_model: str) -> None:
    result = engine.transcribe(german_then_english, engine.Options(model_name=base_model))

    german = [s for s in result["segments"] if s["language"] == "de"]
    english = [s for s in result["segments"] if s["language"] == "en"]
    assert result["languages"] == ["de", "en"]
    assert german and english and german[-1]["end"] <= english[0]["start"]
    # The German sentence just before the change too, not only the first ones.
    assert {"guten", "morgen", "berlin", "hund"} <= set(words(" ".join(s["text"] for s in german)))
    # Once Whisper settled on one language it would translate or garble the other half.
    second_half = set(words(" ".join(s["text"] for s in english)))
    assert {"tomorrow", "morning", "quarterly", "report", "budget"} <= second_half
    assert result["language"] in ("de", "en")


@pytest.mark.slow
def test_it_detects_once_per_file_when_told_to(german_then_english: Path, base_model: str) -> None:
    loaded = engine.get_model(base_model)
    audio = engine.decode(german_then_english)
    once = engine.Options(model_name=base_model, multilingual=False)

    # One stretch whose language Whisper detects itself, from the first 30 s, as it always did.
    duration = len(audio) / engine.SAMPLE_RATE
    assert engine._plan(loaded, audio, once, None) == [engine.Stretch(0.0, duration, None)]


def test_it_names_the_language_of_every_segment(jfk_flac: Path) -> None:
    result = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en"))

    assert {s["language"] for s in result["segments"]} == {"en"}
    assert (result["language"], result["languages"]) == ("en", ["en"])


@pytest.mark.slow
def test_it_keeps_the_language_the_user_chose(german_then_english: Path, base_model: str) -> None:
    result = engine.transcribe(
        german_then_english, engine.Options(model_name=base_model, language="de")
    )

    assert {s["language"] for s in result["segments"]} == {"de"}
    assert (result["language"], result["languages"]) == ("de", ["de"])


def test_it_keeps_persian_digits_and_punctuation_as_the_model_wrote_them() -> None:
    from faster_whisper.transcribe import Segment, Word

    text = " ساعت ۱۲ و 30 دقیقه، جلسه شروع شد؟ "
    segment = Segment(
        id=1, seek=0, start=1.0, end=3.0, text=text, tokens=[1], avg_logprob=-0.3,
        compression_ratio=1.1, no_speech_prob=0.0, temperature=0.0,
        words=[Word(start=1.0, end=1.5, word=" ۱۲", probability=0.9)],
    )  # fmt: skip

    data = engine._segment_dict(segment, 0, offset=60.0, language="fa")

    assert (data["text"], data["words"][0]["word"]) == (text.strip(), " ۱۲")
    # A stretch decoded from 60 s on is placed there in the recording.
    assert (data["start"], data["words"][0]["start"], data["seek"]) == (61.0, 61.0, 6000)
    assert (data["language"], data["speaker"], data["channel"]) == ("fa", None, None)


class EncoderCalls:
    """The CTranslate2 model of a WhisperModel, counting its encoder passes."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.calls = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.model, name)

    def encode(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        return self.model.encode(*args, **kwargs)


@pytest.mark.slow
def test_it_encodes_a_one_window_recording_once_when_it_detects_its_language(
    jfk_flac: Path, base_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = engine.get_model(base_model)
    encoder = EncoderCalls(loaded.whisper.model)
    monkeypatch.setattr(loaded.whisper, "model", encoder)

    result = engine.transcribe(jfk_flac, engine.Options(model_name=base_model))

    # Detection encoded the window; decoding it took that encoding instead of a second pass.
    assert result["language"] == "en" and encoder.calls == 1
    # What the decoder writes when it encodes the window itself, the language given.
    encoder.calls = 0
    options = engine.Options(model_name=base_model)
    segments, _info = loaded.whisper.transcribe(
        engine.decode(jfk_flac), language="en", beam_size=options.beam_size
    )
    assert [s["text"] for s in result["segments"]] == [s.text.strip() for s in segments]
    assert encoder.calls == 1


@pytest.mark.slow
def test_it_encodes_a_window_anew_when_it_is_not_the_one_detected(
    german_then_english: Path, jfk_flac: Path, base_model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = engine.get_model(base_model)
    encoder = EncoderCalls(loaded.whisper.model)
    monkeypatch.setattr(loaded.whisper, "model", encoder)
    german = engine.decode(german_then_english)[: 8 * engine.SAMPLE_RATE]
    assert engine._detect(loaded.whisper, german, 0.0, 8.0)[0] == "de"

    # The window kept from that detection is not jfk's: jfk is encoded (detected, decoded).
    result = engine.transcribe(jfk_flac, engine.Options(model_name=base_model, language="en"))

    assert encoder.calls == 2
    assert {"americans", "country"} <= set(words(result["text"]))


@pytest.mark.slow
def test_it_detects_nothing_in_a_piece_shorter_than_one_frame(base_model: str) -> None:
    import numpy as np

    loaded = engine.get_model(base_model)
    # 100 samples (6 ms) of sound at the end of a window: the decoder has no frame of it either.
    piece = (np.random.default_rng(0).standard_normal(100) * 0.1).astype(np.float32)

    assert engine._detect(loaded.whisper, piece, 0.0, len(piece) / engine.SAMPLE_RATE) == (
        None,
        0.0,
    )
