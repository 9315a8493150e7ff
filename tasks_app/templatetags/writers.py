"""Presentation helpers shared by every page: status badges, durations, Persian digits."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

import jdatetime
from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

register = template.Library()

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")

# The colour is only a second signal: every badge also carries its label as text.
STATUS_CLASS = {
    "PENDING": "pending",
    "IN_PROGRESS": "queued",
    "PROCESSING": "processing",
    "COMPLETED": "completed",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
}


def _persian() -> bool:
    return (get_language() or "").startswith("fa")


@register.filter
def when(value: datetime | None) -> str:
    """A moment in the reader's calendar: Jalali with Persian digits in Persian, else Django's
    localized format, both in the site's time zone."""
    if value is None:
        return ""
    return _when(value, get_language() or "", timezone.get_current_timezone_name())


# Every card shows up to three moments and the dashboard's list refreshes every few seconds with
# the same ones: Django's date format is the dearest part of a card's time, so format each moment
# once per language and zone (the arguments are the key; the body reads them as active).
@lru_cache(maxsize=4096)
def _when(value: datetime, _language: str, _zone: str) -> str:
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    if not _persian():
        return format_date(local, get_format("DATETIME_FORMAT"))
    jalali = jdatetime.date.fromgregorian(date=local.date())
    month = jdatetime.date.j_months_fa[jalali.month - 1]
    text = f"{jalali.day} {month} {jalali.year}، ساعت {local.hour}:{local.minute:02d}"
    return localdigits(text)


@register.filter
def relative(value: datetime | None) -> str:
    """A moment as "2 minutes ago" (or "in 3 days"), with the full date on hover: the one way
    pages, lists and cards show a time. static/js/relative-time.js keeps the words current
    (`data-relative`) while the page stays open."""
    if value is None:
        return ""
    now = timezone.now() if timezone.is_aware(value) else datetime.now()
    seconds = (now - value).total_seconds()
    if abs(seconds) < 60:
        text = _("just now") if seconds >= 0 else _("in less than a minute")
    elif seconds > 0:
        text = _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    else:
        text = _("in %(time)s") % {"time": timeuntil(value, now, depth=1)}
    return format_html(
        '<time datetime="{}" title="{}" data-relative>{}</time>',
        value.isoformat(),
        when(value),
        localdigits(text),
    )


@register.filter
def time_left(finish: datetime | None) -> str:
    """What is left until `finish`, for a progress line: never "0 minutes" while work goes on
    ("less than a minute"), and an honest "estimating" when nothing is known yet."""
    if finish is None:
        return _("Estimating the time left…")
    if (finish - timezone.now()).total_seconds() < 60:
        return _("less than a minute left")
    return _("about %(left)s left") % {"left": localdigits(timeuntil(finish, depth=2))}


@register.filter
def localdigits(value: Any) -> str:
    """Write digits in the reader's script: Persian readers get ۰۱۲۳۴۵۶۷۸۹."""
    text = str(value)
    return text.translate(PERSIAN_DIGITS) if _persian() else text


@register.filter
def local_day(value: date) -> str:
    """A calendar day as YYYY-MM-DD, in the Jalali calendar with Persian digits for Persian
    readers."""
    if not _persian():
        return value.isoformat()
    return localdigits(jdatetime.date.fromgregorian(date=value).isoformat())


@register.filter
def language_name(code: str) -> str:
    """A language code as its name in the reader's language where Django knows it."""
    from transcription.services import LANGUAGES

    if not code:
        return ""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return LANGUAGES.get(code, code)


@register.filter
def clock(seconds: float | None) -> str:
    """Seconds as h:mm:ss (or m:ss under an hour), in the reader's digits."""
    if seconds is None:
        return ""
    total = int(round(float(seconds)))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return localdigits(text)


@register.filter
def timestamp(seconds: float | None) -> str:
    """A segment's start as mm:ss.s, the precision a reader scanning a transcript wants."""
    if seconds is None:
        return ""
    value = float(seconds)
    minutes, secs = divmod(value, 60)
    hours, minutes = divmod(int(minutes), 60)
    text = f"{minutes:02d}:{secs:04.1f}"
    return localdigits(f"{hours}:{text}" if hours else text)


@register.filter
def percent(fraction: float | None) -> int:
    """A 0–1 fraction (a language probability) as a whole percentage, clamped."""
    if not fraction:
        return 0
    return max(0, min(100, int(float(fraction) * 100)))


@register.filter
def progress_percent(progress: float | None) -> int:
    """Task progress, stored as 0–100, as a whole percentage clamped for the progress bar."""
    if not progress:
        return 0
    return max(0, min(100, int(float(progress))))


@register.filter
def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "pending")


@register.inclusion_tag("tasks_app/_status_badge.html")
def status_badge(task: Any) -> dict[str, Any]:
    return {"status": task.status, "label": task.get_status_display()}


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (for pagination links)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
