"""/analytics in a real browser: every label of every chart is drawn inside its chart, in
English and in right-to-left Persian alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser

# Glyph boxes may overhang their text box by a fraction of a pixel at the edges.
SLACK = 1.0


def some_history(user: User) -> None:
    now = timezone.now()
    for days_ago, status, code in [
        (0, Status.COMPLETED, ""),
        (1, Status.COMPLETED, ""),
        (3, Status.FAILED, "DECODE_ERROR"),
        (6, Status.FAILED, "STORAGE_FULL"),
        (9, Status.CANCELLED, ""),
    ]:
        task = Task.objects.create(
            user=user,
            kind=Kind.TRANSCRIPTION,
            title="Interview",
            file_path="uploads/x.flac",
            status=status,
            error_code=code,
            duration_seconds=120.0,
            started_at=now - timedelta(seconds=10) if status == Status.COMPLETED else None,
            completed_at=now if status == Status.COMPLETED else None,
        )
        Task.objects.filter(pk=task.pk).update(created_at=now - timedelta(days=days_ago))
    Task.objects.create(user=user, title="To-do")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_chart_label_lies_inside_its_chart(
    page: Page, site: str, alice: User, language: str
) -> None:
    some_history(alice)
    page.context.add_cookies(
        [
            {"name": "access_token", "value": issue_tokens(alice)[0], "url": site},
            {"name": "django_language", "value": language, "url": site},
        ]
    )
    page.goto(f"{site}/analytics")
    expect(page.locator("html")).to_have_attribute("lang", language)

    charts = page.locator("svg.chart")
    assert charts.count() == 4  # status, kind, per day, failures
    for chart in charts.all():
        svg = chart.bounding_box()
        assert svg is not None and svg["width"] > 0
        labels = chart.locator(":scope > text, :scope > g > text")
        assert labels.count() >= 2
        for label in labels.all():
            box = label.bounding_box()
            text = label.text_content()
            assert box is not None and box["width"] > 0, text
            assert svg["x"] - SLACK <= box["x"], (language, text, box, svg)
            assert box["x"] + box["width"] <= svg["x"] + svg["width"] + SLACK, (
                language,
                text,
                box,
                svg,
            )
            assert svg["y"] - SLACK <= box["y"], (language, text, box, svg)
            assert box["y"] + box["height"] <= svg["y"] + svg["height"] + SLACK, (
                language,
                text,
                box,
                svg,
            )

    # The per-day chart keeps its date axis: the first and the last day, left to right.
    first, last = page.locator("svg.chart").nth(2).locator(":scope > text").all()
    first_box, last_box = first.bounding_box(), last.bounding_box()
    assert first_box is not None and last_box is not None
    assert first_box["x"] + first_box["width"] <= last_box["x"]
