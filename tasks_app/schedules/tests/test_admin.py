"""The Schedule admin: the runs inline and read only, pause / resume / run now as actions, and a
change that keeps the pages' rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tasks_app.schedules.models import Execution, Schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(staff: Any) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_it_shows_a_schedule_with_its_runs(admin_client_: Client, make_schedule: Any) -> None:
    schedule = make_schedule()
    Execution.objects.create(schedule=schedule, due_at=schedule.next_run_at, error="Boom")
    html = admin_client_.get(f"/admin/tasks_app/schedule/{schedule.pk}/change/").content.decode()
    assert "Boom" in html and "Standup" in html


@pytest.mark.parametrize("action", ["pause", "resume", "run_now"])
def test_its_actions(admin_client_: Client, make_schedule: Any, action: str) -> None:
    schedule = make_schedule(paused=action == "resume")
    response = admin_client_.post(
        "/admin/tasks_app/schedule/", {"action": action, "_selected_action": [schedule.pk]}
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert schedule.paused is (action == "pause")
    assert Execution.objects.filter(manual=True).exists() is (action == "run_now")


def test_it_refuses_a_bad_cron(admin_client_: Client, make_schedule: Any) -> None:
    schedule = make_schedule()
    response = admin_client_.post(
        f"/admin/tasks_app/schedule/{schedule.pk}/change/",
        {
            "workspace": schedule.workspace_id,
            "created_by": schedule.created_by_id,
            "name": "Standup",
            "rule": "cron",
            "cron": "every day",
            "timezone": "UTC",
            "action": "todo",
            "priority": "medium",
            "executions-TOTAL_FORMS": "0",
            "executions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "five fields" in response.content.decode()
    assert Schedule.objects.get(pk=schedule.pk).rule == "interval"
