"""The template filters every page uses to write numbers, times and dates for its reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from tasks_app.templatetags.writers import (
    clock,
    language_name,
    local_day,
    localdigits,
    percent,
    progress_percent,
    relative,
    time_left,
    timestamp,
    when,
)


@pytest.mark.parametrize(
    ("gregorian", "jalali"),
    [
        ((2025, 3, 21), "۱ فروردین ۱۴۰۴"),  # Nowruz
        ((2025, 3, 20), "۳۰ اسفند ۱۴۰۳"),  # the last day of a leap year
        ((2026, 11, 22), "۱ آذر ۱۴۰۵"),
        ((2000, 1, 1), "۱۱ دی ۱۳۷۸"),
    ],
)
def test_it_converts_to_the_jalali_calendar(gregorian: tuple[int, int, int], jalali: str) -> None:
    # Noon UTC falls on the same calendar day in any site time zone within ±11 hours.
    with translation.override("fa"):
        assert when(datetime(*gregorian, 12, 0, tzinfo=UTC)).startswith(f"{jalali}، ساعت")


def test_it_writes_dates_in_the_readers_calendar(settings: object) -> None:
    moment = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
    with translation.override("fa"):
        assert when(moment) == "۱ آذر ۱۴۰۵، ساعت ۹:۰۵"
    with translation.override("en"):
        assert when(moment) == "Nov. 22, 2026, 9:05 a.m."
    assert when(None) == ""


def test_it_uses_persian_digits_only_for_persian_readers() -> None:
    with translation.override("fa"):
        assert localdigits("42% of 1,000") == "۴۲% of ۱,۰۰۰"
        assert timestamp(65.25) == "۰۱:۰۵.۲"
        assert clock(3725) == "۱:۰۲:۰۵"
    with translation.override("en"):
        assert timestamp(65.25) == "01:05.2"
        assert clock(71) == "1:11"


def test_it_turns_progress_into_a_clamped_percentage() -> None:
    assert percent(0.426) == 42
    assert percent(None) == 0
    assert percent(1.7) == 100
    assert progress_percent(42.6) == 42
    assert progress_percent(None) == 0
    assert progress_percent(170) == 100
    assert progress_percent(-3) == 0


def test_it_names_languages_in_the_readers_language() -> None:
    with translation.override("fa"):
        assert language_name("de") == "آلمانی"
    with translation.override("en"):
        assert language_name("de") == "German"
        assert language_name("haw") == "Hawaiian"
    assert language_name("") == ""


def test_it_writes_a_moment_relative_to_now_with_the_full_date_on_hover() -> None:
    moment = timezone.now() - timedelta(minutes=2, seconds=5)
    with translation.override("en"):
        html = relative(moment)
        assert html.startswith(f'<time datetime="{moment.isoformat()}" title="')
        assert f'title="{when(moment)}"' in html
        # Marked for static/js/relative-time.js, which keeps it current in the browser.
        assert " data-relative>" in html
        assert html.endswith(">2\xa0minutes ago</time>")
        assert ">just now<" in relative(timezone.now())
        assert ">in 3\xa0days<" in relative(timezone.now() + timedelta(days=3, minutes=1))
    with translation.override("fa"):
        html = relative(moment)
        assert html.endswith(">۲\xa0دقیقه پیش</time>")
        # The title is the full Jalali date, as `when` writes it in Persian.
        assert f'title="{when(moment)}"' in html and "، ساعت " in when(moment)
    assert relative(None) == ""


def test_it_never_says_zero_minutes_left() -> None:
    now = timezone.now()
    with translation.override("en"):
        assert time_left(now + timedelta(seconds=20)) == "less than a minute left"
        # Late against the estimate but not done: still under a minute, never "0 minutes".
        assert time_left(now - timedelta(seconds=5)) == "less than a minute left"
        assert time_left(now + timedelta(minutes=5, seconds=10)) == "about 5\xa0minutes left"
        assert time_left(now + timedelta(hours=1, minutes=20, seconds=10)) == (
            "about 1\xa0hour, 20\xa0minutes left"
        )
        assert time_left(None) == "Estimating the time left…"
    with translation.override("fa"):
        assert time_left(now + timedelta(minutes=1, seconds=30)) == "حدود ۱\xa0دقیقه مانده"
        assert time_left(now + timedelta(seconds=20)) == "کمتر از یک دقیقه مانده"


def test_it_writes_a_day_in_the_readers_calendar() -> None:
    day = datetime(2026, 11, 22).date()
    with translation.override("en"):
        assert local_day(day) == "2026-11-22"
    with translation.override("fa"):
        assert local_day(day) == "۱۴۰۵-۰۹-۰۱"


def test_it_formats_each_moment_once_per_language_and_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tasks_app.templatetags import writers

    moment = datetime(2026, 12, 1, 9, 30, 7, 1234, tzinfo=UTC)  # a moment no other test shows
    formatted: list[datetime] = []
    format_date = writers.format_date

    def counted(value: datetime, format_string: str) -> str:
        formatted.append(value)
        return format_date(value, format_string)

    monkeypatch.setattr(writers, "format_date", counted)
    with translation.override("en"):
        first = when(moment)
        assert when(moment) == first and len(formatted) == 1
        with timezone.override("Asia/Tehran"):
            assert when(moment) != first and len(formatted) == 2
    with translation.override("fa"):
        assert when(moment) == "۱۰ آذر ۱۴۰۵، ساعت ۹:۳۰"
    with translation.override("en"):
        assert when(moment) == first and len(formatted) == 2
