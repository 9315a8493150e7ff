"""The Tags page, /workspaces/<id>/tags (and /tags, the personal one's): list with colours and
counts, create, rename and recolour, merge into another, delete; forms that post and come back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.workspaces.services import personal_workspace


def url(workspace: Any) -> str:
    return f"/workspaces/{workspace.pk}/tags"


def test_it_opens_on_the_personal_workspace(page: Callable[[User], Client], alice: User) -> None:
    response = page(alice).get("/tags")
    assert response["Location"] == url(personal_workspace(alice))


def test_it_lists_the_tags_with_colours_and_counts(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    tag = make_tag(team, "Sport", "#dc2626")
    for _ in range(2):
        make_task(alice, workspace=team).tags.add(tag)
    html = page(bob).get(url(team)).content.decode()
    assert "--tag-bg: #dc2626; --tag-fg: #ffffff" in html
    assert f'href="/dashboard?tag={tag.pk}">2 tasks</a>' in html
    assert 'action="/tags/' in html and "New tag" in html
    # bob's other workspace is a link away.
    assert f'href="{url(personal_workspace(bob))}"' in html


def test_it_shows_a_viewer_no_forms(
    page: Callable[[User], Client], dave: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    make_tag(team, "Sport")
    html = page(dave).get(url(team)).content.decode()
    assert "Sport" in html
    assert '<form method="post" action="/tags/' not in html
    assert "New tag" not in html
    assert page(dave).post(url(team), {"name": "x"}).status_code == 403


def test_it_hides_the_workspace_from_a_stranger(
    page: Callable[[User], Client], charlie: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "Sport")
    assert page(charlie).get(url(team)).status_code == 404
    assert page(charlie).get("/workspaces/999999/tags").status_code == 404
    for action in ("edit", "merge", "delete"):
        response = page(charlie).post(f"/tags/{tag.pk}/{action}", {"name": "x", "confirm": "1"})
        assert response.status_code == 404
    assert Tag.objects.get(pk=tag.pk).name == "Sport"


def test_it_creates_a_tag(page: Callable[[User], Client], bob: User, team: Any) -> None:
    client = page(bob)
    response = client.post(url(team), {"name": "Sport", "color": "#0284C7"})
    assert response.status_code == 302
    tag = Tag.objects.get()
    assert (tag.name, tag.color, tag.workspace) == ("Sport", "#0284c7", team)
    assert "Tag “Sport” added." in client.get(url(team)).content.decode()


@pytest.mark.parametrize(
    ("name", "color", "status", "says"),
    [
        ("", "#000000", 400, "Give the tag a name."),
        ("x" * 51, "#000000", 400, "at most 50 characters"),
        ("Sport", "black", 400, "#rrggbb"),
        ("SPORT", "#000000", 409, "already exists"),
    ],
)
def test_it_says_why_a_tag_cannot_be_made(
    page: Callable[[User], Client],
    alice: User,
    team: Any,
    make_tag: Callable[..., Tag],
    name: str,
    color: str,
    status: int,
    says: str,
) -> None:
    make_tag(team, "Sport")
    response = page(alice).post(url(team), {"name": name, "color": color})
    assert response.status_code == status
    html = response.content.decode()
    assert says in html
    assert 'role="alert"' in html
    assert Tag.objects.count() == 1


def test_it_renames_and_recolours(
    page: Callable[[User], Client], alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "sport")
    make_tag(team, "Politics")
    response = page(alice).post(f"/tags/{tag.pk}/edit", {"name": "Sport", "color": "#ca8a04"})
    assert response["Location"] == url(team)
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Sport", "#ca8a04")
    taken = page(alice).post(f"/tags/{tag.pk}/edit", {"name": "politics", "color": "#ca8a04"})
    assert taken.status_code == 409
    assert "already exists" in taken.content.decode()


def test_it_asks_before_merging_and_deleting_without_javascript(
    page: Callable[[User], Client], alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    old, kept = make_tag(team, "sports"), make_tag(team, "Sport")
    merge = page(alice).post(f"/tags/{old.pk}/merge", {"into": kept.pk})
    assert merge.status_code == 200
    assert "Merge “sports” into “Sport”?" in merge.content.decode()
    delete = page(alice).post(f"/tags/{old.pk}/delete")
    assert "Delete the tag “sports”?" in delete.content.decode()
    assert Tag.objects.count() == 2


def test_it_merges(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    old, kept = make_tag(team, "sports"), make_tag(team, "Sport")
    task = make_task(alice, workspace=team)
    task.tags.add(old, kept)
    response = page(bob).post(f"/tags/{old.pk}/merge", {"into": kept.pk, "confirm": "1"})
    assert response["Location"] == url(team)
    assert list(task.tags.all()) == [kept]
    assert not Tag.objects.filter(pk=old.pk).exists()
    refused = page(bob).post(f"/tags/{kept.pk}/merge", {"into": kept.pk, "confirm": "1"})
    assert refused.status_code == 400
    assert "Choose another tag" in refused.content.decode()


def test_it_deletes(
    page: Callable[[User], Client],
    alice: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    tag = make_tag(team, "Sport")
    task = make_task(alice, workspace=team)
    task.tags.add(tag)
    response = page(alice).post(f"/tags/{tag.pk}/delete", {"confirm": "1"})
    assert response["Location"] == url(team)
    assert not Tag.objects.exists()
    assert not task.tags.exists()


def test_it_refuses_a_viewer_every_change(
    page: Callable[[User], Client], dave: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag, other = make_tag(team, "Sport"), make_tag(team, "Politics")
    for action, data in (
        ("edit", {"name": "X"}),
        ("merge", {"into": other.pk, "confirm": "1"}),
        ("delete", {"confirm": "1"}),
    ):
        assert page(dave).post(f"/tags/{tag.pk}/{action}", data).status_code == 403
    assert Tag.objects.count() == 2


def test_it_is_in_persian(
    page: Callable[[User], Client], alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    make_tag(team, "Sport")
    client = page(alice)
    client.cookies["django_language"] = "fa"
    html = client.get(url(team)).content.decode()
    assert 'dir="rtl"' in html
    assert "برچسب" in html
