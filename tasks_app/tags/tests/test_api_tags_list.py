"""GET /api/v1/tags: the tags of the caller's workspaces (or one), with task counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.services import personal_workspace


def test_it_lists_every_workspace_of_the_caller(
    api: Callable[[User | None], APIClient],
    alice: User,
    dave: User,
    charlie: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    shared = make_tag(team, "Shared", "#dc2626")
    own = make_tag(personal_workspace(dave), "Own")
    make_tag(personal_workspace(charlie), "Charlie's")
    make_task(alice, workspace=team).tags.add(shared)
    response = api(dave).get("/api/v1/tags")
    assert response.status_code == 200
    tags = {tag["name"]: tag for tag in response.json()["tags"]}
    assert set(tags) == {"Shared", "Own"}
    assert tags["Shared"] == {
        "id": shared.pk,
        "workspace": team.pk,
        "name": "Shared",
        "color": "#dc2626",
        "task_count": 1,
        "created_at": tags["Shared"]["created_at"],
    }
    assert tags["Own"]["workspace"] == own.workspace_id
    assert tags["Own"]["task_count"] == 0


def test_it_lists_one_workspace(
    api: Callable[[User | None], APIClient], bob: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    make_tag(team, "Shared")
    make_tag(personal_workspace(bob), "Own")
    response = api(bob).get(f"/api/v1/tags?workspace={team.pk}")
    assert [tag["name"] for tag in response.json()["tags"]] == ["Shared"]


def test_it_refuses_a_workspace_of_others(
    api: Callable[[User | None], APIClient], charlie: User, team: Any
) -> None:
    for value in (team.pk, "nope"):
        response = api(charlie).get(f"/api/v1/tags?workspace={value}")
        assert response.status_code == 400
        assert response.json()["workspace"] == ["No such workspace."]


def test_it_requires_a_signed_in_user(api: Callable[[User | None], APIClient], db: None) -> None:
    for method, url in (
        ("get", "/api/v1/tags"),
        ("post", "/api/v1/tags"),
        ("get", "/api/v1/tags/1"),
        ("patch", "/api/v1/tags/1"),
        ("delete", "/api/v1/tags/1"),
        ("post", "/api/v1/tags/1/merge"),
    ):
        assert getattr(api(None), method)(url).status_code == 401


def test_it_is_in_the_schema(db: None) -> None:
    paths = yaml.safe_load(Client().get("/api/v1/schema/").content)["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tags"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/tags/{tag_id}"])
    assert "post" in paths["/api/v1/tags/{tag_id}/merge"]
    assert "post" in paths["/api/v1/tasks/{task_id}/tags"]
    assert "delete" in paths["/api/v1/tasks/{task_id}/tags/{tag_id}"]
