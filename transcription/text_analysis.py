"""Text analysis with libraries that carry their own data: nothing is downloaded at run time.

- Language: langdetect (profiles for 55 languages shipped in the wheel, Persian included),
  seeded so the same text always gets the same answer.
- Keywords: YAKE, unsupervised and statistical, with the stop words it ships (Persian and
  English among them).
- Sentiment: VADER, whose lexicon is English only; other languages are reported as not
  supported rather than scored wrongly.
- Summary: extractive, written here: the sentences whose content words are most frequent in
  the whole text, in their original order.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections import Counter
from functools import cache
from typing import Any

KEYWORDS = 10
KEYWORD_MAX_WORDS = 3
SUMMARY_SENTENCES = 3
# YAKE and the summary are quadratic-ish in places; a book-length text is analysed by its start.
MAX_ANALYSED_CHARS = 100_000
SENTIMENT_LANGUAGES = frozenset({"en"})
# Sentences end at . ! ? and their Arabic-script and CJK forms, or at a line break.
SENTENCE_END = re.compile(r"(?<=[.!?؟。！？])\s+|\n+")
WORD = re.compile(r"[^\W\d_]+(?:[\u200c'’-][^\W\d_]+)*")


def analyze(text: str) -> dict[str, Any]:
    """The analysis document stored under `analysis` in a task's result JSON."""
    text = text.strip()
    analysed = text[:MAX_ANALYSED_CHARS]
    language, probability, candidates = detect_language(analysed)
    sentences = split_sentences(analysed)
    return {
        "language": language,
        "language_probability": probability,
        "language_candidates": candidates,
        "keywords": keywords(analysed, language) if WORD.search(analysed) else [],
        "sentiment": sentiment(analysed, language),
        "summary": summary(sentences, language),
        "stats": {
            "characters": len(text),
            "words": sum(1 for _ in WORD.finditer(text)),
            "sentences": len(sentences),
            "analysed_characters": len(analysed),
            "truncated": len(analysed) < len(text),
        },
        "versions": versions(),
    }


def detect_language(text: str) -> tuple[str | None, float | None, list[dict[str, Any]]]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    # langdetect samples at random; a fixed seed makes its answer repeatable.
    DetectorFactory.seed = 0
    try:
        found = detect_langs(text)
    except LangDetectException:
        return None, None, []
    candidates = [{"language": item.lang, "probability": round(item.prob, 4)} for item in found[:3]]
    best = candidates[0] if candidates else None
    if best is None:
        return None, None, []
    return best["language"], best["probability"], candidates


def keywords(text: str, language: str | None) -> list[dict[str, Any]]:
    import yake

    extractor = yake.KeywordExtractor(
        lan=_yake_language(language), n=KEYWORD_MAX_WORDS, top=KEYWORDS, dedupLim=0.7
    )
    # YAKE scores: lower is more relevant.
    return [
        {"keyword": phrase, "score": round(float(score), 5)}
        for phrase, score in extractor.extract_keywords(text)
    ]


def _yake_language(language: str | None) -> str:
    # YAKE falls back to a language-neutral list for codes it has no stop words for.
    return (language or "noLang").split("-")[0]


def sentiment(text: str, language: str | None) -> dict[str, Any]:
    if language not in SENTIMENT_LANGUAGES:
        return {
            "supported": False,
            "method": None,
            "reason": (
                f"Sentiment is only analysed for English; this text is in "
                f"'{language or 'an undetected language'}'."
            ),
        }
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    scores = SentimentIntensityAnalyzer().polarity_scores(text)
    compound = scores["compound"]
    # VADER's documented thresholds.
    label = "positive" if compound >= 0.05 else "negative" if compound <= -0.05 else "neutral"
    return {
        "supported": True,
        "method": "vader",
        "label": label,
        "compound": round(compound, 4),
        "positive": round(scores["pos"], 4),
        "neutral": round(scores["neu"], 4),
        "negative": round(scores["neg"], 4),
    }


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in SENTENCE_END.split(text) if part and part.strip()]


def summary(sentences: list[str], language: str | None) -> dict[str, Any]:
    """The SUMMARY_SENTENCES sentences richest in the text's frequent content words."""
    stop = stopwords(language)
    words_of = [[w.lower() for w in WORD.findall(s) if w.lower() not in stop] for s in sentences]
    frequency = Counter(word for words in words_of for word in words)
    if not frequency:
        return {"method": "word-frequency extractive", "sentences": [], "text": ""}
    top = max(frequency.values())
    scores = [
        sum(frequency[word] / top for word in words) / (len(words) ** 0.5) if words else 0.0
        for words in words_of
    ]
    chosen = sorted(
        sorted(range(len(sentences)), key=lambda index: -scores[index])[:SUMMARY_SENTENCES]
    )
    picked = [sentences[index] for index in chosen]
    return {"method": "word-frequency extractive", "sentences": picked, "text": " ".join(picked)}


@cache
def stopwords(language: str | None) -> frozenset[str]:
    """YAKE's stop-word list for the language, so both steps agree on what a content word is.

    Read through YAKE's own loader (its public `stopword_set`), which falls back to its empty
    language-neutral list for a language it has none for, as keyword extraction does.
    """
    words = _yake_stop_words(_yake_language(language))
    # YAKE always ships English; an empty English list means its data files are missing or
    # moved, and the summary would rank "the" and "and" as content words: refuse instead.
    if not words and not _yake_stop_words("en"):
        raise RuntimeError(
            f"YAKE {importlib.metadata.version('yake')} has no stop-word lists (not even "
            "English): its data files are missing from the installation."
        )
    return words


def _yake_stop_words(language: str) -> frozenset[str]:
    import yake

    loaded = yake.KeywordExtractor(lan=language).stopword_set
    return frozenset(word.strip() for word in loaded if word.strip())


def versions() -> dict[str, str]:
    return {
        package.lower().replace("-", "_"): importlib.metadata.version(package)
        for package in ("langdetect", "yake", "vaderSentiment")
    }
