"""POST /api/v1/tags/{id}/merge {"into": id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.services import personal_workspace


def merge(client: APIClient, tag: Tag, into: Any) -> Any:
    return client.post(f"/api/v1/tags/{tag.pk}/merge", {"into": into}, format="json")


def test_it_moves_every_task_and_deletes_the_merged_tag(
    api: Callable[[User | None], APIClient],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    old, kept = make_tag(team, "sports"), make_tag(team, "Sport")
    tasks = [make_task(alice, workspace=team) for _ in range(3)]
    tasks[0].tags.add(old)
    tasks[1].tags.add(old, kept)
    tasks[2].tags.add(kept)
    response = merge(api(bob), old, kept.pk)
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["task_count"]) == (kept.pk, 3)
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert all(list(task.tags.all()) == [kept] for task in tasks)


@pytest.mark.parametrize("into", ["self", "other workspace", "missing", "", "abc"])
def test_it_refuses_a_tag_it_cannot_merge_into(
    api: Callable[[User | None], APIClient],
    alice: User,
    team: Any,
    make_tag: Callable[..., Tag],
    into: str,
) -> None:
    tag = make_tag(team, "Sport")
    target = {
        "self": tag.pk,
        "other workspace": make_tag(personal_workspace(alice), "Mine").pk,
        "missing": 999999,
        "": "",
        "abc": "abc",
    }[into]
    response = merge(api(alice), tag, target)
    assert response.status_code == 400
    assert "into" in response.json()
    assert Tag.objects.filter(pk=tag.pk).exists()


def test_it_refuses_a_viewer_and_hides_tags_from_a_stranger(
    api: Callable[[User | None], APIClient],
    charlie: User,
    dave: User,
    team: Any,
    make_tag: Callable[..., Tag],
) -> None:
    old, kept = make_tag(team, "a"), make_tag(team, "b")
    assert merge(api(dave), old, kept.pk).status_code == 403
    assert merge(api(charlie), old, kept.pk).status_code == 404
    # Nor may a stranger merge their own tag into someone else's.
    own = make_tag(personal_workspace(charlie), "c")
    assert merge(api(charlie), own, kept.pk).status_code == 400
    assert Tag.objects.count() == 3
