"""The schedule pages: list, the form (create, change, errors), a schedule's page with its next
runs, run now, pause, resume, delete (asked first), runs filtered; viewers read only, strangers
get 404; English and Persian."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from tasks_app.models import Task
from tasks_app.schedules.models import Execution, Schedule

pytestmark = pytest.mark.django_db


def test_it_lists_the_schedules_of_the_users_workspaces(
    page: Any, make_schedule: Any, bob: Any, charlie: Any
) -> None:
    schedule = make_schedule()
    html = page(bob).get("/schedules").content.decode()
    assert f'href="/schedules/{schedule.pk}"' in html and "Newsroom" in html
    assert "Standup" not in page(charlie).get("/schedules").content.decode()


def test_it_makes_a_schedule_from_the_form(page: Any, alice: Any, team: Any) -> None:
    client = page(alice)
    assert client.get(f"/schedules/new?workspace={team.pk}").status_code == 200
    response = client.post(
        "/schedules/new",
        {
            "workspace": team.pk,
            "name": "Weekly report",
            "rule": "interval",
            "every": "2",
            "unit": "hours",
            "cron": "0 9 * * 1-5",
            "timezone": "Asia/Tehran",
            "action": "todo",
            "title": "Report %Y-%m-%d",
            "priority": "high",
        },
    )
    schedule = Schedule.objects.get()
    assert response["Location"] == f"/schedules/{schedule.pk}"
    assert (schedule.workspace, schedule.rule, schedule.interval_seconds) == (
        team,
        "interval",
        7200,
    )
    # The cron field was on the page but is not this rule's.
    html = client.get(response["Location"]).content.decode()
    assert "every 2 hours" in html and html.count("<tr><td>") == 5


def test_it_shows_the_forms_errors(page: Any, alice: Any) -> None:
    response = page(alice).post(
        "/schedules/new", {"name": "", "rule": "cron", "cron": "every day", "action": "todo"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="cron-errors"' in html and 'id="name-errors"' in html
    assert not Schedule.objects.exists()


def test_it_changes_a_schedule(page: Any, make_schedule: Any, bob: Any) -> None:
    schedule = make_schedule()
    client = page(bob)
    form = client.get(f"/schedules/{schedule.pk}/edit").content.decode()
    assert 'value="Standup"' in form
    response = client.post(
        f"/schedules/{schedule.pk}/edit",
        {
            "name": "Daily",
            "rule": "cron",
            "cron": "30 8 * * *",
            "timezone": "UTC",
            "action": "todo",
            "priority": "low",
        },
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.cron, schedule.priority) == ("Daily", "30 8 * * *", "low")


def test_run_now_makes_the_to_do_and_lists_the_run(
    page: Any, make_schedule: Any, alice: Any
) -> None:
    schedule = make_schedule(title="Standup")
    client = page(alice)
    response = client.post(f"/schedules/{schedule.pk}/run", follow=True)
    task = Task.objects.get(workspace=schedule.workspace)
    html = response.content.decode()
    assert "the to-do “Standup” was made" in html
    assert f'href="/dashboard/tasks/{task.pk}"' in html


def test_it_filters_the_runs_and_says_which_were_missed(
    page: Any, make_schedule: Any, alice: Any
) -> None:
    schedule = make_schedule()
    Execution.objects.create(schedule=schedule, due_at=timezone.now(), outcome="succeeded")
    Execution.objects.create(
        schedule=schedule,
        due_at=timezone.now() - timedelta(hours=1),
        outcome="failed",
        missed=True,
        error="The task to analyse was deleted.",
    )
    client = page(alice)
    html = client.get(f"/schedules/{schedule.pk}").content.decode()
    assert "2 runs: 1 succeeded, 1 failed, 1 made up after downtime." in html
    assert "Missed while down" in html
    failed = client.get(f"/schedules/{schedule.pk}?show=failed").content.decode()
    assert failed.count("badge-failed") == 1 and "badge-completed" not in failed


def test_it_pauses_resumes_and_deletes_after_asking(
    page: Any, make_schedule: Any, alice: Any
) -> None:
    schedule = make_schedule()
    client = page(alice)
    client.post(f"/schedules/{schedule.pk}/pause")
    assert Schedule.objects.get(pk=schedule.pk).paused
    assert "Paused" in client.get(f"/schedules/{schedule.pk}").content.decode()
    client.post(f"/schedules/{schedule.pk}/resume")
    assert not Schedule.objects.get(pk=schedule.pk).paused
    asked = client.post(f"/schedules/{schedule.pk}/delete")
    assert asked.status_code == 200 and Schedule.objects.exists()
    response = client.post(f"/schedules/{schedule.pk}/delete", {"confirm": "1"})
    assert response["Location"] == "/schedules" and not Schedule.objects.exists()


@pytest.mark.parametrize("action", ["run", "pause", "resume", "delete", "edit"])
def test_a_viewer_reads_but_cannot_act(
    page: Any, make_schedule: Any, dave: Any, action: str
) -> None:
    schedule = make_schedule()
    client = page(dave)
    html = client.get(f"/schedules/{schedule.pk}").content.decode()
    assert 'id="run-now"' not in html and "/edit" not in html
    assert client.post(f"/schedules/{schedule.pk}/{action}", {"confirm": "1"}).status_code == 403
    assert not Execution.objects.exists() and Schedule.objects.get(pk=schedule.pk).name == "Standup"


@pytest.mark.parametrize("path", ["", "/edit", "/run", "/pause", "/resume", "/delete"])
def test_a_stranger_gets_404(page: Any, make_schedule: Any, charlie: Any, path: str) -> None:
    schedule = make_schedule()
    method = "get" if path in ("", "/edit") else "post"
    response = getattr(page(charlie), method)(f"/schedules/{schedule.pk}{path}")
    assert response.status_code == 404


def test_it_is_in_persian(page: Any, make_schedule: Any, alice: Any) -> None:
    schedule = make_schedule()
    client = page(alice, "fa")
    assert "زمان‌بندی‌ها" in client.get("/schedules").content.decode()
    html = client.get(f"/schedules/{schedule.pk}").content.decode()
    assert "اجرا همین حالا" in html
    assert "زمان‌بندی تازه" in client.get("/schedules/new").content.decode()
