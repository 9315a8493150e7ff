"""/api/v1/schedules: create, read with next runs, change, run now, pause, resume, delete,
executions with filters and summary; non-members get 404, viewers 403 on every write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.schedules import api_urls
from tasks_app.schedules.models import Execution, Schedule

pytestmark = pytest.mark.django_db

Api = Callable[[User | None], APIClient]
ROUTES = [
    (pattern.name, method)
    for pattern in api_urls.urlpatterns
    if isinstance(pattern, URLPattern) and "schedule_id" in pattern.pattern.converters
    for method in sorted(pattern.callback.cls.http_method_names)
    if method not in ("options", "head")
]
WRITES = [route for route in ROUTES if route[1] != "get"]


def url(name: str, *args: Any) -> str:
    return reverse(f"schedules_api:{name}", args=args)


def test_it_creates_a_cron_schedule_and_lists_its_next_runs(
    alice: User, bob: User, team: Any, api: Api
) -> None:
    response = api(alice).post(
        url("list"),
        {
            "workspace": str(team.pk),
            "name": "Standup",
            "rule": "cron",
            "cron": "0 9 * * 1-5",
            "timezone": "Europe/Berlin",
            "title": "Standup %Y-%m-%d",
            "assignee": str(bob.pk),
            "priority": "high",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["workspace"], body["assignee"], body["paused"]) == (team.pk, str(bob.pk), False)
    assert len(body["next_runs"]) == 5 and body["next_run_at"] is not None
    listed = api(bob).get(url("list"), {"workspace": team.pk}).json()["schedules"]
    assert [s["name"] for s in listed] == ["Standup"]


def test_it_answers_field_errors_with_400(alice: User, api: Api) -> None:
    response = api(alice).post(
        url("list"), {"name": "S", "rule": "cron", "cron": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "cron" in response.json()
    response = api(alice).post(
        url("list"), {"name": "S", "rule": "interval", "interval_seconds": 5}, format="json"
    )
    assert "interval_seconds" in response.json()
    response = api(alice).post(
        url("list"), {"name": "S", "rule": "once", "timezone": "Nowhere/City"}, format="json"
    )
    assert "timezone" in response.json()


def test_it_runs_now_pauses_resumes_and_lists_executions(
    make_schedule: Any, alice: User, api: Api
) -> None:
    schedule = make_schedule()
    client = api(alice)
    run = client.post(url("run", schedule.pk))
    assert run.status_code == 202
    assert run.json()["outcome"] == "succeeded" and run.json()["manual"] is True
    assert Task.objects.filter(pk=run.json()["task"]).exists()
    Execution.objects.create(
        schedule=schedule,
        due_at=timezone.now() - timedelta(days=3),
        outcome="failed",
        error="Boom",
        missed=True,
    )
    listed = client.get(url("executions", schedule.pk), {"outcome": "failed"}).json()
    assert [e["error"] for e in listed["executions"]] == ["Boom"]
    assert listed["summary"]["total"] == 2 and listed["summary"]["failed"] == 1
    assert listed["summary"]["missed"] == 1 and listed["summary"]["last_success"]
    since = (timezone.now() - timedelta(hours=1)).date().isoformat()
    recent = client.get(url("executions", schedule.pk), {"since": since}).json()
    assert len(recent["executions"]) == 2  # started_at is now for both
    assert client.get(url("executions", schedule.pk), {"since": "soon"}).status_code == 400

    paused = client.post(url("pause", schedule.pk)).json()
    assert paused["paused"] is True and paused["next_runs"] == []
    resumed = client.post(url("resume", schedule.pk)).json()
    assert resumed["paused"] is False and len(resumed["next_runs"]) == 5


def test_it_changes_and_deletes_a_schedule(make_schedule: Any, bob: User, api: Api) -> None:
    schedule = make_schedule()
    response = api(bob).patch(
        url("detail", schedule.pk), {"rule": "cron", "cron": "*/15 * * * *"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["rule"] == "cron"
    assert api(bob).delete(url("detail", schedule.pk)).status_code == 204
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(("name", "method"), ROUTES)
def test_it_hides_the_schedule_from_a_non_member(
    name: str, method: str, make_schedule: Any, charlie: User, api: Api
) -> None:
    schedule = make_schedule()
    response = getattr(api(charlie), method)(url(name, schedule.pk), {}, format="json")
    assert response.status_code == 404
    missing = getattr(api(charlie), method)(url(name, 999999), {}, format="json")
    assert response.json() == missing.json()
    assert getattr(api(charlie), method)(url(name, "x"), {}, format="json").status_code == 404


@pytest.mark.parametrize(("name", "method"), WRITES)
def test_it_refuses_every_write_to_a_viewer(
    name: str, method: str, make_schedule: Any, dave: User, api: Api
) -> None:
    schedule = make_schedule()
    response = getattr(api(dave), method)(url(name, schedule.pk), {"name": "X"}, format="json")
    assert response.status_code == 403
    assert "Viewer" in response.json()["detail"]
    assert Schedule.objects.get(pk=schedule.pk).name == "Standup"
    assert not Execution.objects.exists()


@pytest.mark.parametrize("name", [name for name, method in ROUTES if method == "get"])
def test_a_viewer_reads(name: str, make_schedule: Any, dave: User, api: Api) -> None:
    schedule = make_schedule()
    assert api(dave).get(url(name, schedule.pk)).status_code == 200


def test_a_viewer_cannot_create_in_the_team(dave: User, team: Any, api: Api) -> None:
    response = api(dave).post(
        url("list"),
        {"workspace": team.pk, "name": "S", "rule": "cron", "cron": "0 9 * * *"},
        format="json",
    )
    assert response.status_code == 403


def test_it_needs_a_signed_in_caller(make_schedule: Any, api: Api) -> None:
    schedule = make_schedule()
    assert api(None).get(url("list")).status_code == 401
    assert api(None).post(url("run", schedule.pk)).status_code == 401


def test_it_refuses_a_tag_or_task_of_another_workspace(
    alice: User, team: Any, api: Api, make_task: Any
) -> None:
    from tasks_app.models import Kind, Status
    from tasks_app.tags.models import Tag
    from tasks_app.workspaces.services import personal_workspace

    elsewhere = Tag.objects.create(
        workspace=personal_workspace(alice), name="mine", color="#000000"
    )
    base = {"workspace": team.pk, "name": "S", "rule": "cron", "cron": "0 9 * * *"}
    response = api(alice).post(url("list"), {**base, "tags": [elsewhere.pk]}, format="json")
    assert response.status_code == 400 and "tags" in response.json()
    text = make_task(alice, kind=Kind.TEXT, status=Status.COMPLETED)  # personal, not the team's
    response = api(alice).post(
        url("list"), {**base, "action": "analysis", "source_task": str(text.pk)}, format="json"
    )
    assert response.status_code == 400 and "source_task" in response.json()
    assert not Schedule.objects.exists()
