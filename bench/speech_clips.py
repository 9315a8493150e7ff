"""Long, realistic-ish speech for the batched-vs-sequential bench, built here without downloads.

Each clip is a list of pieces: espeak-ng sentences in several voices, languages, speeds and
pitches, and the real jfk.flac, joined by pauses of varied length, some of them silent and some
low noise (a room, a line). The reference text of every piece is kept, so a transcript's word
error rate can be computed. Deterministic: the pause lengths and noise come from a seeded random
generator, so every run builds the same samples; built once and cached under var/ by a hash of
the recipe and the espeak-ng version.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import tempfile
import unicodedata
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-speech"
SAMPLE_RATE = 16000
JFK = "jfk"


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice (`-v`), words a minute (`-s`) and pitch 0-99 (`-p`)."""

    name: str
    language: str
    speed: int = 160
    pitch: int = 50


EN_US = Voice("en-us", "en", 165, 45)
EN_GB_F = Voice("en-gb+f2", "en", 150, 60)
EN_SCOT = Voice("en-gb-scotland+m3", "en", 175, 40)
EN_CARIB = Voice("en-029+f4", "en", 140, 55)
EN_NYC = Voice("en-us-nyc+m5", "en", 185, 35)
EN_RP = Voice("en-gb-x-rp+m2", "en", 155, 50)
DE = Voice("de+m4", "de", 150, 45)
DE_F = Voice("de+f3", "de", 165, 60)
FR = Voice("fr-fr+f1", "fr", 160, 55)
FR_M = Voice("fr-fr+m1", "fr", 145, 40)
ES = Voice("es+m2", "es", 165, 50)
ES_LA = Voice("es-419+f2", "es", 150, 60)
# Persian at its default speed is detected with half the certainty (conftest.speech).
FA = Voice("fa", "fa", 150, 50)

ENGLISH = [
    "The meeting started a little late because the projector would not connect to the laptop.",
    "Once it worked, Sarah walked us through the budget for the coming quarter.",
    "Most of the money goes to the new warehouse on the east side of town.",
    "We still have not decided whether to rent the building or buy it outright.",
    "Tom asked how long the move would take, and nobody had a good answer.",
    "The old warehouse floods every spring, so waiting another year is not an option.",
    "Our biggest customer wants weekly deliveries instead of monthly ones.",
    "That means more trucks, more drivers, and a lot more planning.",
    "I think we should hire two people for the night shift before the summer.",
    "Training takes about three weeks if the new staff have driven a forklift before.",
    "The safety report from last month was better than expected.",
    "There were no accidents, but two near misses near the loading dock.",
    "Both happened when the lights in the back corner were switched off.",
    "Maintenance promised to replace the sensors by the end of the week.",
    "After lunch we talked about the website and the online orders.",
    "Customers complain that the checkout page is slow on their phones.",
    "The designers suggested removing the large pictures from the first screen.",
    "Anna said that the search box should remember what people looked for last time.",
    "We agreed to test both ideas with a small group of loyal customers.",
    "Then the conversation moved to the holiday schedule.",
    "Half of the team wants to take the same two weeks in August.",
    "We will draw names if people cannot agree among themselves.",
    "Finally, the director thanked everyone for a difficult but successful year.",
    "She reminded us that the annual dinner is on the second Friday of December.",
    "The river behind the old mill is quiet in the early morning.",
    "Fishermen arrive before sunrise and leave as soon as the boats come back.",
    "My grandmother used to buy bread from the bakery across the bridge.",
    "It closed many years ago, and now the building is a small library.",
    "Children read there after school while their parents finish work.",
    "On rainy days the reading room smells of wet coats and old paper.",
]
GERMAN = [
    "Guten Morgen und herzlich willkommen zu unserer kleinen Besprechung.",
    "Heute sprechen wir über den neuen Fahrplan der Straßenbahn.",
    "Ab nächstem Monat fährt die Linie acht auch am Sonntag alle zehn Minuten.",
    "Viele Fahrgäste haben sich das schon lange gewünscht.",
    "Die Haltestelle am Marktplatz wird im Sommer umgebaut.",
    "Während der Bauarbeiten hält die Bahn vor dem Rathaus.",
    "Wir bitten alle Anwohner um Geduld und Verständnis.",
    "Weitere Informationen finden Sie bald auf unserer Internetseite.",
]
FRENCH = [
    "Bonjour à tous, et merci d'être venus si nombreux ce soir.",
    "Nous allons parler du marché du samedi et de son avenir.",
    "Les producteurs de la région vendent leurs fruits et leurs légumes sur la place.",
    "Depuis l'année dernière, le nombre de visiteurs a beaucoup augmenté.",
    "Il faut donc trouver plus de places pour garer les voitures.",
    "La mairie propose d'ouvrir le parking de l'école le week-end.",
    "Certains habitants préfèrent fermer la rue principale aux voitures.",
    "Nous voterons sur ces deux propositions à la fin de la réunion.",
]
SPANISH = [
    "Buenas tardes, les habla el capitán desde la cabina.",
    "Estamos volando a una altura de diez mil metros sobre el mar.",
    "El tiempo en nuestro destino es soleado y la temperatura es agradable.",
    "Llegaremos unos veinte minutos antes de la hora prevista.",
    "Por favor, mantengan el cinturón abrochado mientras estén sentados.",
    "La tripulación pasará pronto con bebidas y algo de comer.",
    "Les recordamos que está prohibido fumar durante todo el vuelo.",
    "Gracias por volar con nosotros y que disfruten del viaje.",
]
PERSIAN = [
    "سلام. امروز هوا در تهران خیلی خوب است.",
    "من یک فنجان چای می نوشم و روزنامه می خوانم.",
    "بعد از ظهر با دوستانم به پارک می رویم.",
    "در پارک درختان بلند و گل های زیبا هست.",
    "شب به خانه برمی گردیم و شام می خوریم.",
]

Piece = tuple[Voice | None, str]  # (None, JFK) is the real recording


def _spoken(voices: list[Voice], sentences: list[str]) -> list[Piece]:
    """Sentences in turn by `voices`, as a conversation between them."""
    return [(voices[i % len(voices)], text) for i, text in enumerate(sentences)]


# name -> (pieces, seed, how much of the pauses are noise, noise level)
CLIPS: dict[str, tuple[list[Piece], int, float, float]] = {
    # One language, six voices of it: a meeting, then a story; jfk twice among them.
    "english": (
        _spoken([EN_US, EN_GB_F, EN_SCOT, EN_CARIB, EN_NYC, EN_RP], ENGLISH[:12])
        + [(None, JFK)]
        + _spoken([EN_RP, EN_CARIB, EN_US, EN_GB_F], ENGLISH[12:24])
        + [(None, JFK)]
        + _spoken([EN_SCOT, EN_NYC], ENGLISH[24:]),
        18,
        0.5,
        0.004,
    ),
    # Five languages in turn, as in an international call, with jfk in the middle.
    "mixed": (
        _spoken([EN_US, EN_GB_F], ENGLISH[:5])
        + _spoken([DE, DE_F], GERMAN)
        + [(None, JFK)]
        + _spoken([FR, FR_M], FRENCH)
        + _spoken([ES, ES_LA], SPANISH)
        + _spoken([FA], PERSIAN)
        + _spoken([EN_NYC, EN_CARIB], ENGLISH[24:]),
        7,
        0.3,
        0.003,
    ),
}


def _espeak(voice: Voice, text: str, directory: Path) -> Any:
    from faster_whisper.audio import decode_audio

    target = directory / "piece.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch)]
        + ["-w", str(target), text],
        check=True,
        capture_output=True,
    )
    return decode_audio(str(target))


def _write_wav(path: Path, samples: Any) -> None:
    import numpy as np

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm.tobytes())


def build(name: str, jfk: Path, jfk_text: str) -> tuple[Path, str]:
    """The clip's WAV (built on first use) and its reference text."""
    import numpy as np
    from faster_whisper.audio import decode_audio

    pieces, seed, noisy_share, noise_level = CLIPS[name]
    reference = " ".join(jfk_text if text == JFK else text for _voice, text in pieces)
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout
    recipe = json.dumps([name, repr(CLIPS[name]), version, jfk.stat().st_size], sort_keys=True)
    target = CACHE / f"{name}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.wav"
    if target.is_file():
        return target, reference
    chance = random.Random(seed)
    noise = np.random.default_rng(seed)
    parts = []
    with tempfile.TemporaryDirectory() as directory:
        for voice, text in pieces:
            parts.append(
                decode_audio(str(jfk)) if voice is None else _espeak(voice, text, Path(directory))
            )
            # Between sentences 0.3-1.2 s, now and then a longer thinking pause of 2-4 s.
            pause = chance.uniform(2.0, 4.0) if chance.random() < 0.15 else chance.uniform(0.3, 1.2)
            gap = np.zeros(int(pause * SAMPLE_RATE), dtype=np.float32)
            if chance.random() < noisy_share:
                gap += noise.normal(0, noise_level, len(gap)).astype(np.float32)
            parts.append(gap)
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"{name}-*.wav"):
        stale.unlink()
    _write_wav(target, np.concatenate(parts))
    return target, reference


# Persian and Arabic spellings of one letter, and the zero-width non-joiner between a word's
# parts ("می‌خوانم" and "می خوانم" are the same words), and the typographic apostrophe.
_SAME_LETTER = str.maketrans({"ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "\u200c": " ", "\u2019": "'"})


def words(text: str) -> list[str]:
    """Words for WER: NFKC, lower case, Persian letters unified, accents and punctuation (not
    apostrophes inside words) dropped; what a reader would not call a different word."""
    text = unicodedata.normalize("NFKC", text).lower().translate(_SAME_LETTER)
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    return re.sub(r"[^\w\s']|(?<!\w)'|'(?!\w)", " ", text).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(" ".join(words(reference)), " ".join(words(hypothesis)))
