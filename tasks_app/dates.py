"""Due dates in the reader's calendar: Persian readers type and see Jalali dates in Persian digits
(۱۴۰۵/۰۹/۱۰, a time may follow), English readers keep the browser's own date-and-time input.

What is stored is always the same aware datetime; only the form's text changes with the language.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from typing import Any

import jdatetime
from django import forms
from django.forms.utils import from_current_timezone
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tasks_app.templatetags.writers import localdigits

# Persian (U+06F0…) and Arabic-Indic (U+0660…) digits: phones offer either.
LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
DATE_TEXT = re.compile(
    r"^(?P<year>\d{4})\s*(?P<sep>[/\-.])\s*(?P<month>\d{1,2})\s*(?P=sep)\s*(?P<day>\d{1,2})"
    r"(?:(?:\s+|T)(?P<hour>\d{1,2})\s*:\s*(?P<minute>\d{1,2}))?$"
)
# Jalali years run about 621 behind Gregorian ones: 1700 and later can only be Gregorian (ISO).
FIRST_GREGORIAN_YEAR = 1700


def _persian() -> bool:
    return (get_language() or "").startswith("fa")


def _month_name(year: int, month: int) -> str:
    return f"{jdatetime.date.j_months_fa[month - 1]} {localdigits(year)}"


def jalali_text(value: datetime | date) -> str:
    """A local datetime as ۱۴۰۵/۰۹/۱۰, with the time only when it is not midnight."""
    day = value.date() if isinstance(value, datetime) else value
    jalali = jdatetime.date.fromgregorian(date=day)
    text = f"{jalali.year:04d}/{jalali.month:02d}/{jalali.day:02d}"
    if isinstance(value, datetime) and value.time() != time(0, 0):
        text += f" {value.hour:02d}:{value.minute:02d}"
    return localdigits(text)


def _example() -> str:
    today = jdatetime.date.fromgregorian(date=timezone.localdate())
    return localdigits(f"{today.year:04d}/{today.month:02d}/{today.day:02d}")


def parse_date_text(text: str) -> datetime | None:
    """A naive local datetime from year/month/day text, Jalali before 1700 and Gregorian (ISO)
    after, in any digits; None when the text is not in that shape at all.

    Raises ValidationError for a date or time that does not exist, saying why.
    """
    match = DATE_TEXT.match(text.strip().translate(LATIN_DIGITS))
    if match is None:
        return None
    year, month, day = (int(match[name]) for name in ("year", "month", "day"))
    hour, minute = int(match["hour"] or 0), int(match["minute"] or 0)
    if not (hour < 24 and minute < 60):
        raise forms.ValidationError(
            _("Write the time as hour:minute, from 00:00 to 23:59."), code="invalid_time"
        )
    if not 1 <= month <= 12:
        raise forms.ValidationError(
            _("There is no month %(month)s: months are numbered 1 to 12."),
            code="invalid_month",
            params={"month": localdigits(month)},
        )
    if year >= FIRST_GREGORIAN_YEAR:
        try:
            return datetime(year, month, day, hour, minute)
        except ValueError:
            raise forms.ValidationError(
                _("This date does not exist."), code="invalid_day"
            ) from None
    days = jdatetime.j_days_in_month[month - 1]
    if month == 12 and jdatetime.date(year, 1, 1).isleap():
        days = 30  # Esfand 30 exists in leap years only (1403 was one, 1404 is not)
    if not 1 <= day <= days:
        raise forms.ValidationError(
            _("%(month)s has only %(days)s days."),
            code="invalid_day",
            params={"month": _month_name(year, month), "days": localdigits(days)},
        )
    gregorian = jdatetime.date(year, month, day).togregorian()
    return datetime.combine(gregorian, time(hour, minute))


def _help_text() -> str:
    if not _persian():
        return ""
    return _("Year/month/day, for example %(date)s; a time may follow: %(date)s %(time)s.") % {
        "date": _example(),
        "time": localdigits("14:30"),
    }


class DueDateInput(forms.DateTimeInput):
    """A text box with a Jalali calendar for Persian readers, the native date-and-time input
    for everyone else (static/js/jalali-picker.js adds the calendar to the text box)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")

    def format_value(self, value: Any) -> str | None:
        if _persian() and isinstance(value, datetime | date):
            return jalali_text(value)
        return super().format_value(value)

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if not _persian():
            return context
        widget["type"] = "text"
        widget["attrs"].update(
            {
                "autocomplete": "off",
                "spellcheck": "false",
                "data-jalali-picker": json.dumps(
                    {
                        "open": _("Choose the date from a calendar"),
                        "prev": _("Previous month"),
                        "next": _("Next month"),
                        "hint": _(
                            "Arrow keys move by day and week, Page Up and Page Down by month, "
                            "Enter picks the day, Escape closes."
                        ),
                    },
                    ensure_ascii=False,
                ),
            }
        )
        return context


class DueDateField(forms.DateTimeField):
    """A due date typed as Jalali in Persian (Persian or Latin digits, or ISO yyyy-mm-dd), and as
    the browser's date-and-time value in English, parsed exactly as Django always has."""

    widget = DueDateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", lazy(_help_text, str)())
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> datetime | None:
        if not (_persian() and isinstance(value, str)):
            return super().to_python(value)
        if not value.strip():
            return None
        parsed = parse_date_text(value)
        if parsed is None:
            raise forms.ValidationError(
                _("Write the date as year/month/day, for example %(example)s."),
                code="invalid",
                params={"example": _example()},
            )
        return from_current_timezone(parsed)
