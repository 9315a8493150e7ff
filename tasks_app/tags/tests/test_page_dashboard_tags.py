"""The dashboard's tag filter: `tag=` repeatable, a task must carry every tag ticked; the
row of tag chips to tick; the cards' chips in a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tags.models import Tag
from tasks_app.tags.tests.conftest import HTMX
from tasks_app.workspaces.services import personal_workspace


def filter_row(html: str) -> str:
    start = html.index('<fieldset class="tag-filter"')
    return html[start : html.index("</fieldset>", start)]


def test_it_filters_by_every_tag_ticked(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    sport, politics = make_tag(team, "Sport"), make_tag(team, "Politics")
    make_task(alice, workspace=team, title="Only sport").tags.add(sport)
    make_task(alice, workspace=team, title="Both").tags.add(sport, politics)
    make_task(alice, workspace=team, title="Neither")
    client = page(bob)
    one = client.get(f"/dashboard?tag={sport.pk}").content.decode()
    assert "Only sport" in one and "Both" in one and "Neither" not in one
    both = client.get(f"/dashboard?tag={sport.pk}&tag={politics.pk}").content.decode()
    assert "Both" in both and "Only sport" not in both and "Neither" not in both
    # The chips of the filter row show what is ticked.
    assert f'name="tag" value="{sport.pk}" checked' in both
    assert f'name="tag" value="{politics.pk}" checked' in both
    partial = client.get(f"/dashboard?tag={politics.pk}", **HTMX).content.decode()
    assert "Both" in partial and "Only sport" not in partial


def test_it_ignores_a_malformed_tag(
    page: Callable[[User], Client], alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Still listed")
    response = page(alice).get("/dashboard?tag=abc")
    assert response.status_code == 200
    assert "Still listed" in response.content.decode()


def test_it_shows_no_filter_row_without_tags(page: Callable[[User], Client], alice: User) -> None:
    assert 'class="tag-filter"' not in page(alice).get("/dashboard").content.decode()


def test_it_renders_the_chips_of_many_cards_in_constant_queries(
    page: Callable[[User], Client],
    alice: User,
    bob: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    tags = [make_tag(team, f"t{i}") for i in range(3)]

    def queries() -> int:
        client = page(bob)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/dashboard").status_code == 200
        return len(captured)

    make_task(alice, workspace=team).tags.add(*tags)
    few = queries()
    for _ in range(6):
        make_task(alice, workspace=team).tags.add(*tags)
    assert queries() == few


def test_it_offers_the_tags_of_the_workspace_filtered_by(
    page: Callable[[User], Client], bob: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    make_tag(team, "Team tag")
    make_tag(personal_workspace(bob), "Own tag")
    everything = filter_row(page(bob).get("/dashboard").content.decode())
    assert "Team tag" in everything and "Own tag" in everything
    one = filter_row(page(bob).get(f"/dashboard?workspace={team.pk}").content.decode())
    assert "Team tag" in one and "Own tag" not in one
