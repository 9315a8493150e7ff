"""GET/POST /api/v1/workspaces and GET/PATCH/DELETE /api/v1/workspaces/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.workspaces.models import Membership, Workspace

Api = Callable[[User | None], APIClient]


def test_it_lists_the_callers_workspaces_personal_first(
    alice: User, charlie: User, dave: User, team: Workspace, api: Api
) -> None:
    Workspace.objects.create(name="Charlie's club", created_by=charlie)
    body = api(alice).get("/api/v1/workspaces").json()
    [personal, newsroom] = body["workspaces"]
    assert personal["personal"] is True and personal["role"] == "admin"
    assert personal["member_count"] == 1
    assert newsroom == {
        "id": team.pk,
        "name": "Newsroom",
        "personal": False,
        "role": "admin",
        "member_count": 3,
        "created_at": newsroom["created_at"],
    }
    roles = [w["role"] for w in api(dave).get("/api/v1/workspaces").json()["workspaces"]]
    assert roles == ["admin", "viewer"]


def test_it_creates_a_workspace_with_the_caller_as_admin(alice: User, api: Api) -> None:
    response = api(alice).post("/api/v1/workspaces", {"name": "  Radio  desk "}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Radio desk"
    assert response.json()["role"] == "admin" and response.json()["member_count"] == 1
    workspace = Workspace.objects.get(pk=response.json()["id"])
    assert workspace.created_by == alice and not workspace.is_personal
    assert Membership.objects.get(workspace=workspace).user == alice


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}])
def test_it_refuses_a_bad_name(alice: User, api: Api, body: dict[str, Any]) -> None:
    response = api(alice).post("/api/v1/workspaces", body, format="json")
    assert response.status_code == 400
    assert "name" in response.json()
    assert not Workspace.objects.filter(personal_owner__isnull=True).exists()


def test_it_shows_a_workspace_to_any_member(dave: User, team: Workspace, api: Api) -> None:
    body = api(dave).get(f"/api/v1/workspaces/{team.pk}").json()
    assert body["name"] == "Newsroom" and body["role"] == "viewer"


def test_it_lets_an_admin_rename(alice: User, team: Workspace, api: Api) -> None:
    response = api(alice).patch(f"/api/v1/workspaces/{team.pk}", {"name": "Desk"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Desk"
    team.refresh_from_db()
    assert team.name == "Desk"


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_it_refuses_a_rename_to_editors_and_viewers(
    who: str, team: Workspace, api: Api, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    response = api(user).patch(f"/api/v1/workspaces/{team.pk}", {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert "cannot do this" in response.json()["detail"]
    team.refresh_from_db()
    assert team.name == "Newsroom"


def test_it_keeps_the_personal_workspaces_name(alice: User, api: Api) -> None:
    personal = alice.personal_workspace
    response = api(alice).patch(
        f"/api/v1/workspaces/{personal.pk}", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "personal_workspace"


def test_it_deletes_an_empty_workspace(alice: User, team: Workspace, api: Api) -> None:
    assert api(alice).delete(f"/api/v1/workspaces/{team.pk}").status_code == 204
    assert not Workspace.objects.filter(pk=team.pk).exists()
    assert not Membership.objects.filter(workspace_id=team.pk).exists()


def test_it_refuses_to_delete_a_workspace_with_tasks_even_in_the_trash(
    alice: User, team: Workspace, api: Api, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    Task.objects.filter(pk=task.pk).update(deleted_at="2026-01-01T00:00:00Z")
    response = api(alice).delete(f"/api/v1/workspaces/{team.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "workspace_not_empty"
    assert "1 tasks" in response.json()["detail"]
    assert Workspace.objects.filter(pk=team.pk).exists()


def test_it_refuses_to_delete_a_personal_workspace(alice: User, api: Api) -> None:
    response = api(alice).delete(f"/api/v1/workspaces/{alice.personal_workspace.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "personal_workspace"


def test_it_refuses_a_delete_to_an_editor(bob: User, team: Workspace, api: Api) -> None:
    assert api(bob).delete(f"/api/v1/workspaces/{team.pk}").status_code == 403
    assert Workspace.objects.filter(pk=team.pk).exists()
