"""GET/PATCH/DELETE /api/v1/tags/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag


def test_it_reads_the_tag_to_any_member(
    api: Callable[[User | None], APIClient], dave: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "Sport")
    response = api(dave).get(f"/api/v1/tags/{tag.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "Sport"


def test_it_renames_and_recolours(
    api: Callable[[User | None], APIClient], bob: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "sport")
    response = api(bob).patch(
        f"/api/v1/tags/{tag.pk}", {"name": "Sport", "color": "#FFCC00"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["color"]) == ("Sport", "#ffcc00")


def test_it_refuses_a_taken_name_and_bad_input(
    api: Callable[[User | None], APIClient], alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "Sport")
    make_tag(team, "Politics")
    url = f"/api/v1/tags/{tag.pk}"
    taken = api(alice).patch(url, {"name": "politics"}, format="json")
    assert (taken.status_code, taken.json()["code"]) == (409, "tag_exists")
    assert api(alice).patch(url, {"name": " "}, format="json").status_code == 400
    assert api(alice).patch(url, {"color": "#zzzzzz"}, format="json").status_code == 400
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Sport", "#16a34a")


def test_it_deletes_the_tag_from_its_tasks(
    api: Callable[[User | None], APIClient],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    tag = make_tag(team, "Sport")
    task = make_task(alice, workspace=team)
    task.tags.add(tag)
    assert api(bob).delete(f"/api/v1/tags/{tag.pk}").status_code == 204
    assert not Tag.objects.exists()
    assert Task.objects.filter(pk=task.pk).exists()
    assert not task.tags.exists()


def test_it_refuses_a_viewer_and_hides_the_tag_from_a_stranger(
    api: Callable[[User | None], APIClient],
    charlie: User,
    dave: User,
    team: Any,
    make_tag: Callable[..., Tag],
) -> None:
    tag = make_tag(team, "Sport")
    url = f"/api/v1/tags/{tag.pk}"
    for method in ("patch", "delete"):
        response = getattr(api(dave), method)(url, {"name": "X"}, format="json")
        assert response.status_code == 403
    missing = api(charlie).get("/api/v1/tags/999999").json()
    for method in ("get", "patch", "delete"):
        response = getattr(api(charlie), method)(url, {"name": "X"}, format="json")
        assert response.status_code == 404
        # The same answer as for no tag at all.
        assert response.json() == missing
    assert api(charlie).get("/api/v1/tags/not-a-number").status_code == 404
    tag.refresh_from_db()
    assert tag.name == "Sport"
