"""GET /api/v1/analytics/users: per member of a workspace for its admins and staff; the whole
site per user for staff."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Status

URL = "/api/v1/analytics/users"


@pytest.fixture
def work(alice: Any, bob: Any, charlie: Any, dave: Any, team: Any) -> None:
    transcription(bob, workspace=team, duration=120.0, assignee=alice)
    transcription(bob, Status.FAILED, workspace=team, assignee=dave)
    transcription(alice, workspace=team, duration=60.0)
    transcription(alice, title="Personal")
    transcription(charlie)


def test_it_breaks_a_workspace_down_per_member_for_its_admin(
    script: Callable[..., APIClient], work: None, alice: Any, team: Any
) -> None:
    response = script(alice).get(URL, {"workspace": team.pk})
    assert response.status_code == 200
    rows = response.json()["users"]
    assert [(row["email"], row["role"]) for row in rows] == [
        ("bob@example.org", "editor"),
        ("alice@example.org", "admin"),
        ("dave@example.org", "viewer"),  # no tasks of their own, one assigned
    ]
    assert rows[0] | {"id": 0} == {
        "id": 0,
        "email": "bob@example.org",
        "name": "",
        "role": "editor",
        "tasks": 2,
        "completed": 1,
        "failed": 1,
        "assigned": 0,
        "audio_minutes": 2.0,
    }
    assert (rows[1]["tasks"], rows[1]["assigned"], rows[1]["audio_minutes"]) == (1, 1, 1.0)
    assert (rows[2]["tasks"], rows[2]["assigned"]) == (0, 1)


@pytest.mark.parametrize(("member", "role"), [("bob", "Editor"), ("dave", "Viewer")])
def test_it_refuses_members_who_are_not_admins(
    api: Callable[..., APIClient], team: Any, member: str, role: str, request: Any
) -> None:
    response = api(request.getfixturevalue(member)).get(URL, {"workspace": team.pk})
    assert response.status_code == 403
    assert response.json()["detail"] == f"Your role in this workspace ({role}) cannot do this."


def test_it_hides_the_workspace_from_a_stranger(
    api: Callable[..., APIClient], charlie: Any, team: Any
) -> None:
    assert api(charlie).get(URL, {"workspace": team.pk}).status_code == 404


def test_staff_see_any_workspace_or_the_whole_site(
    api: Callable[..., APIClient], work: None, staff: Any, team: Any
) -> None:
    client = api(staff)
    assert len(client.get(URL, {"workspace": team.pk}).json()["users"]) == 3
    body = client.get(URL).json()
    assert body["everyone"] is True
    assert {(row["email"], row["tasks"], row["role"]) for row in body["users"]} == {
        ("alice@example.org", 2, None),
        ("bob@example.org", 2, None),
        ("charlie@example.org", 1, None),
        ("dave@example.org", 0, None),
    }


def test_only_staff_may_leave_the_workspace_out(api: Callable[..., APIClient], alice: Any) -> None:
    response = api(alice).get(URL)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only staff can see every user's figures."
