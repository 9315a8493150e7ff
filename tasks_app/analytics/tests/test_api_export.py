"""GET /api/v1/analytics/export.csv and export.xlsx: the scope's tasks as a file for scripts;
refusals stay JSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tasks_app.analytics.queries import EXPORT_COLUMNS
from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Priority, Task
from tasks_app.tags.models import Tag


@pytest.fixture
def tasks(alice: Any, bob: Any, dave: Any, team: Any) -> list[Task]:
    tagged = transcription(
        bob, workspace=team, title="=cmd()", assignee=dave, priority=Priority.URGENT
    )
    tagged.tags.set([Tag.objects.create(workspace=team, name=name) for name in ("press", "@board")])
    old = transcription(alice, workspace=team, title="Old")
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    transcription(alice, title="Personal")
    return [old, tagged]


def test_it_exports_a_workspaces_tasks_as_csv(
    script: Callable[..., APIClient], tasks: list[Task], dave: Any, team: Any
) -> None:
    response = script(dave).get("/api/v1/analytics/export.csv", {"workspace": team.pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert [row["id"] for row in rows] == [str(task.pk) for task in tasks]  # oldest first
    assert rows[1] | {"id": ""} == rows[1] | {
        "id": "",
        "owner": "bob@example.org",
        "title": "'=cmd()",
        "workspace": "Newsroom",
        "assignee": "dave@example.org",
        "priority": "urgent",
        "tags": "'@board, press",
    }


def test_it_exports_the_window_of_days_as_xlsx(
    script: Callable[..., APIClient], tasks: list[Task], alice: Any, team: Any
) -> None:
    response = script(alice).get(
        "/api/v1/analytics/export.xlsx", {"workspace": team.pk, "days": 30}
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert header == EXPORT_COLUMNS
    assert [row[0] for row in rows] == [str(tasks[1].pk)]
    assert rows[0][8] == 120.0


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_its_refusals_are_json(
    api: Callable[..., APIClient], charlie: Any, team: Any, extension: str
) -> None:
    url = f"/api/v1/analytics/export.{extension}"
    hidden = api(charlie).get(url, {"workspace": team.pk}, HTTP_ACCEPT="text/csv")
    assert hidden.status_code == 404 and hidden["Content-Type"] == "application/json"
    bad = api(charlie).get(url, {"days": "-1"})
    assert bad.status_code == 400 and "days" in bad.json()
    assert api(None).get(url).status_code == 401
