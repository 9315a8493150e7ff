"""POST /api/v1/tasks/{id}/tags {"tag": id} or {"name": ...}; DELETE /api/v1/tasks/{id}/tags/{tag}.
Non-members, viewers and anonymous clients: tasks_app/tests/test_api_access.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.services import personal_workspace


def test_it_puts_a_tag_on_the_task(
    api: Callable[[User | None], APIClient],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, workspace=team)
    tag = make_tag(team, "Sport", "#dc2626")
    for _ in range(2):
        response = api(bob).post(f"/api/v1/tasks/{task.pk}/tags", {"tag": tag.pk}, format="json")
        assert response.status_code == 200
        assert response.json() == {"tags": [{"id": tag.pk, "name": "Sport", "color": "#dc2626"}]}


def test_it_puts_a_tag_on_by_name_making_it_when_new(
    api: Callable[[User | None], APIClient],
    alice: User,
    team: Any,
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, workspace=team)
    response = api(alice).post(f"/api/v1/tasks/{task.pk}/tags", {"name": "New"}, format="json")
    assert response.status_code == 200
    assert [t["name"] for t in response.json()["tags"]] == ["New"]
    assert Tag.objects.get(name="New").workspace == team


def test_it_refuses_a_tag_of_another_workspace_and_bad_input(
    api: Callable[[User | None], APIClient],
    alice: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, workspace=team)
    elsewhere = make_tag(personal_workspace(alice), "Mine")
    url = f"/api/v1/tasks/{task.pk}/tags"
    for body in ({"tag": elsewhere.pk}, {"tag": "abc"}, {}, {"name": "x" * 51}):
        response = api(alice).post(url, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["detail"]
    assert not task.tags.exists()


def test_it_takes_a_tag_off(
    api: Callable[[User | None], APIClient],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, workspace=team)
    tag, kept = make_tag(team, "Sport"), make_tag(team, "Politics")
    task.tags.add(tag, kept)
    url = f"/api/v1/tasks/{task.pk}/tags/{tag.pk}"
    assert api(bob).delete(url).status_code == 204
    assert list(task.tags.all()) == [kept]
    # Again: the task is without it either way.
    assert api(bob).delete(url).status_code == 204
    assert Tag.objects.filter(pk=tag.pk).exists()
