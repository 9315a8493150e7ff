"""bench/scaling.py's verdict: N uploads on W workers against ceil(N/W) engine runs (issue 18
item 1: within 1.15)."""

from __future__ import annotations

import pytest

from bench.scaling import TARGET_RATIO, ratio


def test_it_compares_the_last_completion_with_rounds_of_the_engine_time() -> None:
    # Four uploads on two workers: two rounds of the engine. The issue's own figures.
    assert ratio(40.2, 17.4, uploads=4, workers=2) == pytest.approx(40.2 / 34.8)
    assert ratio(40.2, 17.4, uploads=4, workers=2) > TARGET_RATIO
    assert ratio(39.0, 17.4, uploads=4, workers=2) <= TARGET_RATIO


def test_it_counts_a_round_that_is_not_full() -> None:
    # Five uploads on two workers need three rounds; one worker, as many rounds as uploads.
    assert ratio(60.0, 20.0, uploads=5, workers=2) == pytest.approx(1.0)
    assert ratio(60.0, 20.0, uploads=3, workers=1) == pytest.approx(1.0)
