"""Small inline SVG charts for /analytics: no JavaScript, no CDN, no stylesheet needed.

Every chart has a <title> and the numbers as text, so screen readers and printouts get them too.
"""

from __future__ import annotations

from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from tasks_app.templatetags.writers import local_day, localdigits

BAR_HEIGHT = 22
LABEL_WIDTH = 170
BAR_WIDTH = 260
VALUE_WIDTH = 60
# SVG text is placed by x and text-anchor, which follow the writing direction: inherited from
# a right-to-left page, "start" becomes the right end and every label is drawn outside the
# chart. The charts are drawn left to right in every language (a label's own Persian letters
# still run right to left inside it); dir is the HTML attribute, direction the SVG one.
SVG_OPEN = (
    '<svg class="chart" role="img" dir="ltr" direction="ltr" viewBox="0 0 {} {}" '
    'width="100%" preserveAspectRatio="xMinYMin meet">'
)


def bar_chart(title: str, rows: list[tuple[str, int | float]]) -> SafeString:
    """Horizontal bars, one per (label, value)."""
    top = max((value for _label, value in rows), default=0) or 1
    height = BAR_HEIGHT * max(len(rows), 1)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    bars = format_html_join(
        "",
        '<g transform="translate(0,{})">'
        '<text x="0" y="15" font-size="11" fill="currentColor">{}</text>'
        '<rect x="{}" y="4" width="{}" height="14" fill="#3b6fd8"></rect>'
        '<text x="{}" y="15" font-size="11" fill="currentColor">{}</text></g>',
        (
            (
                index * BAR_HEIGHT,
                label,
                LABEL_WIDTH,
                round(BAR_WIDTH * value / top, 1),
                LABEL_WIDTH + round(BAR_WIDTH * value / top, 1) + 6,
                localdigits(value),
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    return format_html(
        SVG_OPEN + "<title>{}</title>{}</svg>",
        width,
        height,
        title,
        bars,
    )


def daily_chart(title: str, days: list[tuple[date, int, int]]) -> SafeString:
    """Created (first bar) and completed (second bar) per day, with the first and last date."""
    top = max((max(created, completed) for _day, created, completed in days), default=0) or 1
    slot = 12
    plot = 120
    width = max(slot * len(days), 1)
    bars = format_html_join(
        "",
        "<g><title>{}: {} / {}</title>"
        '<rect x="{}" y="{}" width="5" height="{}" fill="#3b6fd8"></rect>'
        '<rect x="{}" y="{}" width="5" height="{}" fill="#2f9e6b"></rect></g>',
        (
            (
                local_day(day),
                localdigits(created),
                localdigits(completed),
                index * slot,
                plot - round(plot * created / top, 1),
                round(plot * created / top, 1),
                index * slot + 5,
                plot - round(plot * completed / top, 1),
                round(plot * completed / top, 1),
            )
            for index, (day, created, completed) in enumerate(days)
        ),
    )
    first = local_day(days[0][0]) if days else ""
    last = local_day(days[-1][0]) if days else ""
    return format_html(
        SVG_OPEN + "<title>{}</title>{}"
        '<text x="0" y="{}" font-size="11" fill="currentColor">{}</text>'
        '<text x="{}" y="{}" font-size="11" fill="currentColor" text-anchor="end">{}</text></svg>',
        width,
        plot + 18,
        title,
        bars,
        plot + 14,
        first,
        width,
        plot + 14,
        last,
    )
