"""/api/v1/tasks/{id}/comments[/{comment_id}[/edits]]: every member reads and comments, authors
edit and delete their own, admins delete any and read the history. Non-members: 404 (the
route-wide rules are in tasks_app/tests/test_api_access.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.integrations.models import Notification
from tasks_app.models import Task

Api = Callable[[User | None], APIClient]


def url(task: Task, path: str = "") -> str:
    return f"/api/v1/tasks/{task.pk}/comments{path}"


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
def test_it_lets_every_member_comment(
    who: str, request: pytest.FixtureRequest, api: Api, team_task: Task
) -> None:
    user = request.getfixturevalue(who)
    response = api(user).post(url(team_task), {"body": "Looks *good* @charlie"}, format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["author"]["username"] == who
    assert data["body"] == "Looks *good* @charlie"
    # charlie is no member: no mention.
    assert data["html"] == '<p dir="auto">Looks <em>good</em> @charlie</p>\n'
    assert data["edited_at"] is None
    assert data["can_edit"] and data["can_delete"]


def test_it_lists_oldest_first_with_what_the_caller_may_do(
    alice: User, bob: User, dave: User, api: Api, team_task: Task
) -> None:
    first = services.add_comment(team_task, bob, "First @dave")
    services.add_comment(team_task, dave, "Second")
    gone = services.add_comment(team_task, dave, "Gone")
    services.delete_comment(gone, dave, "viewer")
    response = api(dave).get(url(team_task))
    assert response.status_code == 200
    data = response.json()
    assert data["total"] == 2
    assert [c["body"] for c in data["comments"]] == ["First @dave", "Second"]
    assert [(c["can_edit"], c["can_delete"]) for c in data["comments"]] == [
        (False, False),
        (True, True),
    ]
    mention = '<span class="mention" dir="auto" title="dave">@dave</span>'
    assert mention in data["comments"][0]["html"]
    assert data["comments"][0]["author"] == {"id": str(bob.pk), "username": "bob", "full_name": ""}
    # An admin deletes anyone's, edits only their own.
    admin_view = api(alice).get(url(team_task)).json()["comments"]
    assert [(c["can_edit"], c["can_delete"]) for c in admin_view] == [(False, True)] * 2
    assert api(alice).get(url(team_task, f"/{first.pk}")).json()["body"] == "First @dave"


@pytest.mark.parametrize(
    ("payload", "code"),
    [({}, None), ({"body": "  "}, "blank"), ({"body": "x" * 10_001}, "too_long")],
)
def test_it_refuses_bad_input(
    payload: dict, code: str | None, bob: User, api: Api, team_task: Task
) -> None:
    response = api(bob).post(url(team_task), payload, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    if code:
        assert response.json()["code"] == code
        assert response.json()["field"] == "body"
    else:
        assert "body" in response.json()
    assert not Comment.objects.exists()


def test_it_hides_comments_from_a_stranger(
    bob: User, charlie: User, api: Api, team_task: Task
) -> None:
    comment = services.add_comment(team_task, bob, "Internal")
    for method, path in (("get", ""), ("post", ""), ("get", f"/{comment.pk}")):
        assert getattr(api(charlie), method)(url(team_task, path), {"body": "x"}).status_code == 404
    for method in ("patch", "delete"):
        response = getattr(api(charlie), method)(url(team_task, f"/{comment.pk}"), {"body": "x"})
        assert response.status_code == 404
    assert api(charlie).get(url(team_task, f"/{comment.pk}/edits")).status_code == 404
    assert Comment.objects.get().deleted_at is None


def test_the_author_edits_and_nobody_else(
    alice: User, bob: User, dave: User, api: Api, team_task: Task
) -> None:
    comment = services.add_comment(team_task, dave, "Typo hree")
    for other in (alice, bob):
        response = api(other).patch(url(team_task, f"/{comment.pk}"), {"body": "Mine now"})
        assert response.status_code == 403
        assert "author" in response.json()["detail"]
    response = api(dave).patch(url(team_task, f"/{comment.pk}"), {"body": "Typo here @bob"})
    assert response.status_code == 200
    assert response.json()["body"] == "Typo here @bob"
    assert response.json()["edited_at"]
    assert Notification.objects.filter(user=bob, event="task.mentioned").count() == 1
    bad = api(dave).patch(url(team_task, f"/{comment.pk}"), {"body": ""}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "blank"


def test_the_author_or_an_admin_deletes(
    alice: User, bob: User, dave: User, api: Api, team_task: Task
) -> None:
    mine, theirs = (services.add_comment(team_task, user, "Hi") for user in (dave, bob))
    assert api(dave).delete(url(team_task, f"/{theirs.pk}")).status_code == 403
    assert api(bob).delete(url(team_task, f"/{mine.pk}")).status_code == 403
    assert api(dave).delete(url(team_task, f"/{mine.pk}")).status_code == 204
    assert api(alice).delete(url(team_task, f"/{theirs.pk}")).status_code == 204
    assert api(alice).get(url(team_task)).json()["total"] == 0
    assert api(alice).get(url(team_task, f"/{mine.pk}")).status_code == 404
    assert api(dave).delete(url(team_task, f"/{mine.pk}")).status_code == 404


def test_admins_read_the_history_even_after_a_deletion(
    alice: User, bob: User, api: Api, team_task: Task
) -> None:
    comment = services.add_comment(team_task, bob, "One")
    comment = services.edit_comment(comment, bob, "Two")
    services.delete_comment(comment, bob, "editor")
    assert api(bob).get(url(team_task, f"/{comment.pk}/edits")).status_code == 403
    response = api(alice).get(url(team_task, f"/{comment.pk}/edits"))
    assert response.status_code == 200
    data = response.json()
    assert [e["body"] for e in data["edits"]] == ["Two", "One"]
    assert data["edits"][0]["edited_by"]["username"] == "bob"
    assert data["deleted_at"]
    assert api(alice).get(url(team_task, "/999999/edits")).status_code == 404


def test_a_comment_of_another_task_is_not_found(
    alice: User, api: Api, team_task: Task, make_task: Callable[..., Task]
) -> None:
    other = make_task(alice)
    comment = services.add_comment(other, alice, "Elsewhere")
    assert api(alice).get(url(team_task, f"/{comment.pk}")).status_code == 404
    assert api(alice).delete(url(team_task, f"/{comment.pk}")).status_code == 404


def test_admins_list_deleted_comments_on_request(
    alice: User, bob: User, api: Api, team_task: Task
) -> None:
    services.add_comment(team_task, bob, "Kept")
    gone = services.add_comment(team_task, bob, "Regretted")
    services.delete_comment(gone, bob, "editor")
    assert api(bob).get(url(team_task) + "?deleted=true").status_code == 403
    data = api(alice).get(url(team_task) + "?deleted=true").json()
    assert [(c["body"], bool(c["deleted_at"])) for c in data["comments"]] == [
        ("Kept", False),
        ("Regretted", True),
    ]
    assert not data["comments"][1]["can_delete"] and not data["comments"][1]["can_edit"]
    assert api(alice).get(url(team_task) + "?deleted=maybe").status_code == 400
