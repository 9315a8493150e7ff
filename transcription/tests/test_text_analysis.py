"""transcription.text_analysis on its own: the parts the job tests do not pin down."""

from __future__ import annotations

import pytest

from transcription import text_analysis
from transcription.tests.samples import ENGLISH, PERSIAN


def test_it_splits_sentences_at_persian_question_marks_and_line_breaks() -> None:
    text = "حال شما چطور است؟ من خوبم.\nفردا می‌بینمت"
    assert text_analysis.split_sentences(text) == [
        "حال شما چطور است؟",
        "من خوبم.",
        "فردا می‌بینمت",
    ]


def test_it_gives_the_same_answer_for_the_same_text() -> None:
    first, second = text_analysis.analyze(PERSIAN), text_analysis.analyze(PERSIAN)
    assert first == second
    assert first["language"] == "fa"


def test_it_reads_persian_words_joined_by_a_zero_width_non_joiner_as_one() -> None:
    assert text_analysis.WORD.findall("بزرگ‌ترین شهر") == ["بزرگ‌ترین", "شهر"]


def test_it_analyses_only_the_start_of_a_very_long_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text_analysis, "MAX_ANALYSED_CHARS", 120)
    stats = text_analysis.analyze(ENGLISH)["stats"]
    assert stats["truncated"] is True
    assert (stats["analysed_characters"], stats["characters"]) == (120, len(ENGLISH))


def test_it_answers_for_a_text_without_words() -> None:
    analysis = text_analysis.analyze("12 34 56 !!!")
    assert analysis["keywords"] == []
    assert analysis["summary"]["sentences"] == []
    assert analysis["sentiment"]["supported"] is False


def test_the_summary_keeps_the_original_order_of_the_chosen_sentences() -> None:
    sentences = text_analysis.split_sentences(ENGLISH)
    chosen = text_analysis.summary(sentences, "en")["sentences"]
    assert chosen == [sentence for sentence in sentences if sentence in chosen]
    assert len(chosen) == text_analysis.SUMMARY_SENTENCES


@pytest.mark.parametrize("language", ["en", "fa", "de"])
def test_it_has_stop_words_for_the_languages_it_summarises(language: str) -> None:
    assert len(text_analysis.stopwords(language)) > 50


def test_it_refuses_when_yakes_stop_word_lists_are_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yake

    # What YAKE's loader gives when its data files are gone: nothing to filter with.
    monkeypatch.setattr(yake.KeywordExtractor, "_load_stopwords", lambda self, words: set())
    text_analysis.stopwords.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="no stop-word lists"):
            text_analysis.stopwords("en")
    finally:
        text_analysis.stopwords.cache_clear()
