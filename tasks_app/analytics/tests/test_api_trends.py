"""GET /api/v1/analytics/trends: tasks created and completed per day of the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Status, Task

URL = "/api/v1/analytics/trends"


def test_it_gives_one_entry_per_day_for_the_workspace(
    script: Callable[..., APIClient], alice: Any, dave: Any, team: Any
) -> None:
    transcription(alice, workspace=team)
    transcription(alice, Status.PENDING, workspace=team)
    transcription(alice)  # personal: not the team's
    earlier = transcription(alice, workspace=team)
    Task.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=3))

    body = script(dave).get(URL, {"workspace": team.pk, "days": 7}).json()
    today = timezone.localdate()
    assert body["days"] == 7 and body["workspace"]["id"] == team.pk
    assert [day["date"] for day in body["series"]] == [
        (today - timedelta(days=6 - offset)).isoformat() for offset in range(7)
    ]
    # Both completions happen today, also the one created three days ago.
    assert body["series"][-1] == {"date": today.isoformat(), "created": 2, "completed": 2}
    assert body["series"][-4]["created"] == 1


def test_it_refuses_a_window_over_a_year_and_a_stranger(
    script: Callable[..., APIClient], alice: Any, charlie: Any, team: Any
) -> None:
    response = script(alice).get(URL, {"days": 400})
    assert response.status_code == 400 and "days" in response.json()
    assert script(charlie).get(URL, {"workspace": team.pk}).status_code == 404
