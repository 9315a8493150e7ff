"""Every page URL that names a task, read from the URLconf so a new page is covered the day it is
added: someone outside the task's workspace gets the 404 page (as for a task that does not
exist), and a viewer's form posts are refused with 403 and change nothing. The API has the same
rules, checked route by route in test_api_access."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task

# Posts a viewer may make: viewers read, download and comment.
VIEWER_POSTS = {"task_comment_add", "task_comment_edit", "task_comment_delete"}
# Pages of the Trash find deleted tasks only where the user may change tasks: 404 for everyone
# else, viewers included.
TRASH = {"task_restore", "task_purge"}


def task_pages() -> Iterator[tuple[str, str]]:
    """(url name, route with placeholders) for every page (not API) route naming a task."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif (
                isinstance(pattern, URLPattern)
                and "task_id" in pattern.pattern.converters
                and not route.startswith("api/")
            ):
                yield pattern.name or route, route

    yield from walk(get_resolver().url_patterns, "")


PAGES = sorted(set(task_pages()))


def fill(route: str, task: Task) -> str:
    """The route with the task's id, 1 for any other number and a new uuid for any other id."""
    path = route.replace("<uuid:task_id>", str(task.pk)).replace("<str:task_id>", str(task.pk))
    for converter, value in (("<int:", "1"), ("<uuid:", str(uuid.uuid4()))):
        while converter in path:
            start = path.index(converter)
            path = path[:start] + value + path[path.index(">", start) + 1 :]
    return "/" + path.lstrip("^").rstrip("$")


def signed_in(user: User) -> Client:
    client = Client()
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


def test_it_finds_the_task_pages() -> None:
    names = {name for name, _route in PAGES}
    assert {"task_detail", "task_edit", "task_cancel", "transcript_segment_edit"} <= names


@pytest.mark.parametrize(("name", "route"), PAGES)
def test_it_shows_a_non_member_the_404_page(
    name: str,
    route: str,
    alice: User,
    charlie: User,
    team: Any,
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team, title="Layoffs")
    client = signed_in(charlie)
    for method in (client.get, client.post):
        response = method(fill(route, task), headers={"HX-Request": "true"})
        assert response.status_code in (404, 405) or response.get("HX-Redirect")
        assert "Layoffs" not in response.content.decode()
    task.refresh_from_db()
    assert (task.status, task.deleted_at) == (Status.FAILED, None)


@pytest.mark.parametrize(
    ("name", "route"), [(n, r) for n, r in PAGES if n not in VIEWER_POSTS | TRASH]
)
def test_it_refuses_a_viewers_posts(
    name: str,
    route: str,
    alice: User,
    dave: User,
    team: Any,
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    response = signed_in(dave).post(fill(route, task), {"title": "Changed", "confirm": "1"})
    assert response.status_code in (403, 405)
    task.refresh_from_db()
    assert (task.title, task.status, task.deleted_at) == ("Interview", Status.FAILED, None)


def test_it_lets_a_viewer_read_the_task_page(
    alice: User, dave: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.FAILED, workspace=team)
    assert signed_in(dave).get(f"/dashboard/tasks/{task.pk}").status_code == 200
    assert signed_in(dave).get(f"/dashboard/tasks/{uuid.uuid4()}").status_code == 404
