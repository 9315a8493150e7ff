"""POST /api/v1/tags {workspace, name, color}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.tags.models import Tag


def create(client: APIClient, **body: Any) -> Any:
    return client.post("/api/v1/tags", body, format="json")


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_it_lets_admins_and_editors_create(
    api: Callable[[User | None], APIClient], who: str, request: Any, team: Any
) -> None:
    response = create(api(request.getfixturevalue(who)), workspace=team.pk, name=" Sport ")
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["workspace"], body["task_count"]) == ("Sport", team.pk, 0)
    assert body["color"].startswith("#") and len(body["color"]) == 7
    assert Tag.objects.get(pk=body["id"]).workspace == team


def test_it_refuses_a_viewer_and_a_stranger(
    api: Callable[[User | None], APIClient], dave: User, charlie: User, team: Any
) -> None:
    viewer = create(api(dave), workspace=team.pk, name="Sport")
    assert viewer.status_code == 403
    assert "Viewer" in viewer.json()["detail"]
    stranger = create(api(charlie), workspace=team.pk, name="Sport")
    assert stranger.status_code == 400
    assert stranger.json()["workspace"] == ["No such workspace."]
    assert not Tag.objects.exists()


def test_it_answers_409_for_a_taken_name(
    api: Callable[[User | None], APIClient], alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    taken = make_tag(team, "Sport")
    response = create(api(alice), workspace=team.pk, name="SPORT")
    assert response.status_code == 409
    assert response.json()["code"] == "tag_exists"
    assert response.json()["tag"] == taken.pk
    assert Tag.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "workspace"),
        ({"workspace": "abc", "name": "x"}, "workspace"),
        ({"workspace": "team"}, "name"),
        ({"workspace": "team", "name": ""}, "name"),
        ({"workspace": "team", "name": "x" * 51}, "name"),
        ({"workspace": "team", "name": "x", "color": "#12345"}, "color"),
        ({"workspace": "team", "name": "x", "color": "blue"}, "color"),
    ],
)
def test_it_refuses_bad_input(
    api: Callable[[User | None], APIClient], alice: User, team: Any, body: dict, field: str
) -> None:
    if body.get("workspace") == "team":
        body = {**body, "workspace": team.pk}
    response = create(api(alice), **body)
    assert response.status_code == 400
    assert field in response.json()
    assert response.json()["detail"]
    assert not Tag.objects.exists()
