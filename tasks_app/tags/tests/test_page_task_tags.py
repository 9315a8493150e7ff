"""The tag chips on a task card and page: POST /dashboard/tasks/<id>/tags (add by name, made
when new) and /dashboard/tasks/<id>/tags/<tag>/remove, HTMX or plain forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.tags.tests.conftest import HTMX


def add_url(task: Task) -> str:
    return f"/dashboard/tasks/{task.pk}/tags"


def test_it_shows_the_chips_and_the_add_form_to_an_editor(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_task: Callable[..., Task],
    make_tag: Callable[..., Tag],
) -> None:
    task = make_task(alice, workspace=team)
    task.tags.add(make_tag(team, "Sports", "#ffff00"))
    make_tag(team, "Politics")
    html = page(bob).get(f"/dashboard/tasks/{task.pk}").content.decode()
    assert f'id="tags-{task.pk}"' in html
    # Yellow takes black text; the chip links to the dashboard filtered by it.
    assert "--tag-bg: #ffff00; --tag-fg: #000000" in html
    assert ">Sports</a>" in html
    assert '<option value="Politics">' in html
    assert "Remove the tag Sports" in html
    assert f'action="{add_url(task)}"' in html


def test_it_shows_a_viewer_the_chips_only(
    page: Callable[[User], Client],
    alice: User,
    dave: User,
    team: Any,
    make_task: Callable[..., Task],
    make_tag: Callable[..., Tag],
) -> None:
    task = make_task(alice, workspace=team)
    task.tags.add(make_tag(team, "Sports"))
    for url in (f"/dashboard/tasks/{task.pk}", "/dashboard"):
        html = page(dave).get(url).content.decode()
        assert ">Sports</a>" in html
        assert "Remove the tag" not in html
        assert add_url(task) not in html


def test_it_adds_an_existing_tag_by_name_with_htmx(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_task: Callable[..., Task],
    make_tag: Callable[..., Tag],
) -> None:
    task = make_task(alice, workspace=team)
    sports = make_tag(team, "Sports")
    response = page(bob).post(add_url(task), {"name": "sports"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div class="tag-chips"') or f'id="tags-{task.pk}"' in html[:200]
    assert ">Sports</a>" in html
    assert list(task.tags.all()) == [sports]


def test_it_makes_a_new_tag_and_goes_back_without_javascript(
    page: Callable[[User], Client], alice: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    response = page(alice).post(add_url(task), {"name": " Elections ", "next": "/dashboard?q=x"})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard?q=x"
    assert [t.name for t in task.tags.all()] == ["Elections"]
    assert Tag.objects.get(name="Elections").workspace == team
    # Somewhere else than this site is not a place to go back to.
    response = page(alice).post(add_url(task), {"name": "x", "next": "https://evil.example/"})
    assert response["Location"] == f"/dashboard/tasks/{task.pk}"


def test_it_says_what_is_wrong_in_the_chips(
    page: Callable[[User], Client], alice: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    response = page(alice).post(add_url(task), {"name": "x" * 51}, **HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "at most 50 characters" in html
    assert 'aria-invalid="true"' in html
    assert not task.tags.exists()


def test_it_removes_a_tag(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_task: Callable[..., Task],
    make_tag: Callable[..., Tag],
) -> None:
    task = make_task(alice, workspace=team)
    sports = make_tag(team, "Sports")
    task.tags.add(sports)
    response = page(bob).post(f"{add_url(task)}/{sports.pk}/remove", **HTMX)
    assert response.status_code == 200
    assert ">Sports</a>" not in response.content.decode()
    assert not task.tags.exists()
    assert Tag.objects.filter(pk=sports.pk).exists()


def test_it_refuses_a_viewer_and_hides_the_task_from_a_stranger(
    page: Callable[[User], Client],
    alice: User,
    charlie: User,
    dave: User,
    team: Any,
    make_task: Callable[..., Task],
    make_tag: Callable[..., Tag],
) -> None:
    task = make_task(alice, workspace=team)
    sports = make_tag(team, "Sports")
    task.tags.add(sports)
    for user, status in ((dave, 403), (charlie, 404)):
        assert page(user).post(add_url(task), {"name": "New"}).status_code == status
        remove = page(user).post(f"{add_url(task)}/{sports.pk}/remove")
        assert remove.status_code == status
    assert list(task.tags.all()) == [sports]
    assert not Tag.objects.filter(name="New").exists()


def test_it_keeps_the_page_to_go_back_to_in_the_swapped_chips(
    page: Callable[[User], Client], alice: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    response = page(alice).post(add_url(task), {"name": "A", "next": "/dashboard?q=x"}, **HTMX)
    html = response.content.decode()
    assert 'name="next" value="/dashboard?q=x"' in html
    assert f'name="next" value="{add_url(task)}"' not in html
