"""The due-date field: Jalali text in Persian digits for Persian readers, the browser's own
date-and-time input, parsed as Django always has, for English readers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django import forms
from django.utils import translation

from tasks_app.dates import DueDateField, jalali_text


class DueForm(forms.Form):
    due_date = DueDateField(required=False)


def clean(text: str) -> datetime | None:
    form = DueForm({"due_date": text})
    assert form.is_valid(), form.errors
    return form.cleaned_data["due_date"]


def error(text: str) -> forms.ValidationError:
    form = DueForm({"due_date": text})
    assert not form.is_valid()
    return form.errors.as_data()["due_date"][0]


@pytest.fixture
def persian() -> Iterator[None]:
    with translation.override("fa"):
        yield


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("۱۴۰۵/۰۹/۱۰", datetime(2026, 12, 1, tzinfo=UTC)),
        ("1405/09/10", datetime(2026, 12, 1, tzinfo=UTC)),
        ("1405/9/10", datetime(2026, 12, 1, tzinfo=UTC)),
        (
            "١٤٠٥-٠٩-١٠",
            datetime(2026, 12, 1, tzinfo=UTC),
        ),  # Arabic-Indic digits, as some phones type
        ("۱۴۰۵/۰۹/۱۰ ۱۴:۳۰", datetime(2026, 12, 1, 14, 30, tzinfo=UTC)),
        ("  ۱۴۰۴/۰۱/۰۱  ", datetime(2025, 3, 21, tzinfo=UTC)),  # Nowruz
        ("۱۴۰۳/۱۲/۳۰", datetime(2025, 3, 20, tzinfo=UTC)),  # Esfand 30 of the leap year 1403
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),  # ISO Gregorian still understood
        ("2026-12-01T09:05", datetime(2026, 12, 1, 9, 5, tzinfo=UTC)),
    ],
)
def test_it_reads_jalali_dates_in_any_digits(persian: None, text: str, moment: datetime) -> None:
    assert clean(text) == moment


def test_it_reads_the_date_in_the_sites_time_zone(persian: None, settings: object) -> None:
    settings.TIME_ZONE = "Asia/Tehran"  # type: ignore[attr-defined]
    assert clean("۱۴۰۵/۰۹/۱۰ ۱۴:۳۰") == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_it_leaves_an_empty_box_empty(persian: None) -> None:
    assert clean("") is None
    assert clean("   ") is None


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("۱۴۰۵/۱۳/۰۱", "invalid_month", "ماه ۱۳ وجود ندارد: ماه‌ها از ۱ تا ۱۲ شماره دارند."),
        ("۱۴۰۴/۱۲/۳۰", "invalid_day", "اسفند ۱۴۰۴ فقط ۲۹ روز دارد."),  # 1404 is not a leap year
        ("1405/07/31", "invalid_day", "مهر ۱۴۰۵ فقط ۳۰ روز دارد."),
        ("۱۴۰۵/۰۹/۰۰", "invalid_day", "آذر ۱۴۰۵ فقط ۳۰ روز دارد."),
        (
            "۱۴۰۵/۰۹/۱۰ ۲۵:۰۰",
            "invalid_time",
            "ساعت را به شکل ساعت:دقیقه بنویسید، از ۰۰:۰۰ تا ۲۳:۵۹.",
        ),
        ("2026-02-30", "invalid_day", "چنین تاریخی وجود ندارد."),
        ("فردا", "invalid", "تاریخ را به شکل سال/ماه/روز بنویسید، مثلاً "),
        ("10/09/1405", "invalid", "تاریخ را به شکل سال/ماه/روز بنویسید، مثلاً "),
    ],
)
def test_it_says_in_persian_what_is_wrong(
    persian: None, text: str, code: str, message: str
) -> None:
    problem = error(text)
    assert problem.code == code
    assert next(iter(problem)).startswith(message)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 12, 1), "۱۴۰۵/۰۹/۱۰"),
        (datetime(2026, 12, 1, 14, 30), "۱۴۰۵/۰۹/۱۰ ۱۴:۳۰"),
        (datetime(2025, 3, 20), "۱۴۰۳/۱۲/۳۰"),
    ],
)
def test_it_writes_the_stored_date_back_in_jalali(
    persian: None, moment: datetime, text: str
) -> None:
    assert jalali_text(moment) == text
    # What the box shows is what it reads back: editing a task without touching the date keeps it.
    assert clean(text) == moment.replace(tzinfo=UTC)


def test_it_shows_a_jalali_text_box_with_a_calendar_in_persian(persian: None) -> None:
    html = str(DueForm(initial={"due_date": datetime(2026, 12, 1, 14, 30, tzinfo=UTC)})["due_date"])
    assert 'type="text"' in html
    assert 'value="۱۴۰۵/۰۹/۱۰ ۱۴:۳۰"' in html
    assert "data-jalali-picker=" in html and "انتخاب تاریخ از تقویم" in html
    assert 'aria-describedby="id_due_date_helptext"' in html


def test_it_keeps_the_browsers_date_input_in_english() -> None:
    with translation.override("en"):
        field = DueForm(initial={"due_date": datetime(2026, 12, 1, 14, 30, tzinfo=UTC)})["due_date"]
        assert str(field) == (
            '<input type="datetime-local" name="due_date" value="2026-12-01T14:30" '
            'id="id_due_date">'
        )
        assert str(field.help_text) == ""
        assert clean("2026-12-01T14:30") == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
        # Jalali text means nothing to an English form: Django's own message, as before.
        assert error("1405/09/10").messages == ["Enter a valid date/time."]
