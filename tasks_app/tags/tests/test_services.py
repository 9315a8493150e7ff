"""tasks_app.tags.services: the rules every tag page and route shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from tasks_app.models import Task
from tasks_app.schedules.models import Schedule
from tasks_app.tags import services
from tasks_app.tags.models import Tag, text_color
from tasks_app.workspaces.services import personal_workspace


def test_it_creates_a_tag_with_a_trimmed_name_and_a_palette_colour(alice: User, team: Any) -> None:
    tag = services.create_tag(alice, team.pk, "  Breaking   news ")
    assert tag.name == "Breaking news"
    assert tag.color in services.PALETTE
    # The same name gets the same colour wherever it is made.
    assert services.create_tag(alice, personal_workspace(alice).pk, "breaking NEWS").color == (
        tag.color
    )


@pytest.mark.parametrize(
    ("name", "color", "field"),
    [("", "", "name"), ("   ", "", "name"), ("x" * 51, "", "name"), ("Ok", "red", "color")],
)
def test_it_refuses_bad_names_and_colours(
    alice: User, team: Any, name: str, color: str, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_tag(alice, team.pk, name, color)
    assert field in error.value.message_dict
    assert not Tag.objects.exists()


def test_it_keeps_names_unique_in_a_workspace_case_aside(alice: User, team: Any) -> None:
    first = services.create_tag(alice, team.pk, "Urgent")
    with pytest.raises(services.TagExists) as exists:
        services.create_tag(alice, team.pk, "URGENT")
    assert exists.value.existing == first
    # Another workspace may have its own.
    services.create_tag(alice, personal_workspace(alice).pk, "urgent")


def test_it_lets_only_editors_create(bob: User, dave: User, charlie: User, team: Any) -> None:
    services.create_tag(bob, team.pk, "Editors may")
    with pytest.raises(PermissionDenied):
        services.create_tag(dave, team.pk, "Viewers may not")
    with pytest.raises(ValidationError):
        services.create_tag(charlie, team.pk, "Strangers may not")


def test_it_renames_and_recolours(alice: User, team: Any, make_tag: Callable[..., Tag]) -> None:
    tag = make_tag(team, "draft")
    services.update_tag(tag, name="Draft", color="#ABCDEF")
    tag.refresh_from_db()
    assert (tag.name, tag.color) == ("Draft", "#abcdef")
    make_tag(team, "Final")
    with pytest.raises(services.TagExists):
        services.update_tag(tag, name="final")


def test_it_merges_every_task_into_the_kept_tag_once(
    alice: User, team: Any, make_tag: Callable[..., Tag], make_task: Callable[..., Task]
) -> None:
    old, kept = make_tag(team, "interviews"), make_tag(team, "Interview")
    only_old = make_task(alice, workspace=team)
    both = make_task(alice, workspace=team)
    only_old.tags.add(old)
    both.tags.add(old, kept)
    schedule = Schedule.objects.create(
        workspace=team,
        created_by=alice,
        name="Weekly",
        interval_seconds=3600,
        next_run_at=timezone.now(),
    )
    schedule.tags.add(old)
    services.merge_tags(old, kept)
    assert not Tag.objects.filter(pk=old.pk).exists()
    assert list(only_old.tags.all()) == [kept]
    assert list(both.tags.all()) == [kept]
    assert list(schedule.tags.all()) == [kept]


def test_it_merges_only_within_a_workspace(
    alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "a")
    elsewhere = make_tag(personal_workspace(alice), "b")
    for into in (tag, elsewhere):
        with pytest.raises(ValidationError):
            services.merge_tags(tag, into)
    assert Tag.objects.count() == 2


def test_it_puts_only_the_workspace_tags_on_a_task(
    alice: User, team: Any, make_tag: Callable[..., Tag], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    mine = make_tag(team, "mine")
    other = make_tag(personal_workspace(alice), "other")
    services.add_tag(task, mine.pk)
    services.add_tag(task, str(mine.pk))
    with pytest.raises(ValidationError):
        services.add_tag(task, other.pk)
    assert list(task.tags.all()) == [mine]
    assert services.remove_tag(task, mine.pk) is True
    assert services.remove_tag(task, mine.pk) is False


def test_it_adds_by_name_making_the_tag_once(
    alice: User, team: Any, make_tag: Callable[..., Tag], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team)
    existing = make_tag(team, "Sports")
    assert services.add_tag_by_name(alice, task, "sports") == existing
    made = services.add_tag_by_name(alice, task, "Politics")
    assert made.workspace == team
    assert set(task.tags.all()) == {existing, made}


def test_it_lists_tags_with_live_task_counts_in_one_query(
    alice: User,
    bob: User,
    charlie: User,
    team: Any,
    make_tag: Callable[..., Tag],
    make_task: Callable[..., Task],
) -> None:
    tag = make_tag(team, "counted")
    make_tag(personal_workspace(charlie), "not yours")
    for _ in range(3):
        make_task(alice, workspace=team).tags.add(tag)
    make_task(alice, workspace=team, deleted_at=timezone.now()).tags.add(tag)
    with CaptureQueriesContext(connection) as queries:
        listed = list(services.tags_for_user(bob))
    assert len(queries) == 1
    assert [(t.name, t.task_count, t.role) for t in listed] == [("counted", 3, "editor")]
    with pytest.raises(ValidationError):
        services.tags_for_user(bob, personal_workspace(charlie).pk)


def test_it_hides_other_workspaces_tags(
    charlie: User, dave: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    tag = make_tag(team, "private")
    with pytest.raises(Http404):
        services.get_tag_for_user(charlie, tag.pk)
    with pytest.raises(Http404):
        services.get_tag_for_user(dave, "nope")
    assert services.get_tag_for_user(dave, tag.pk).role == "viewer"
    with pytest.raises(PermissionDenied):
        services.get_tag_for_user(dave, tag.pk, "editor")


@pytest.mark.parametrize(
    ("color", "text"),
    [
        ("#ffffff", "#000000"),
        ("#000000", "#ffffff"),
        ("#ca8a04", "#000000"),
        ("#4f46e5", "#ffffff"),
    ],
)
def test_it_picks_readable_text_for_any_colour(color: str, text: str) -> None:
    assert text_color(color) == text


def contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        c = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_colour_reads_at_aa_contrast() -> None:
    # Any colour, not only the palette's: a user may pick any.
    for value in range(0, 0x1000000, 0x0F0F0F // 3):
        color = f"#{value:06x}"
        assert contrast(color, text_color(color)) >= 4.5, color
