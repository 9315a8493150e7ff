"""The comments on the task page: /dashboard/tasks/<id>/comments[/<n>[/edit|/delete]], with
HTMX (in place) and without JavaScript (forms post and come back to #comments)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.models import Task
from tasks_app.transcripts.tests.pages import HTMX, signed_in


def url(task: Task, path: str = "") -> str:
    return f"/dashboard/tasks/{task.pk}/comments{path}"


def page(client: Client, task: Task) -> str:
    response = client.get(f"/dashboard/tasks/{task.pk}")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_comments_oldest_first_sanitised(
    client: Client, bob: User, dave: User, team_task: Task
) -> None:
    services.add_comment(team_task, bob, "First, @dave <script>alert(1)</script>")
    services.add_comment(team_task, dave, "Second **bold**")
    html = page(signed_in(client, dave), team_task)
    assert html.index("First,") < html.index("Second <strong>bold</strong>")
    assert '<span class="mention" dir="auto" title="dave">@dave</span>' in html
    assert "<script>alert(1)</script>" not in html
    assert 'class="comment-body" dir="auto"' in html
    assert "Markdown supported" in html


def test_a_viewer_comments_with_htmx(
    client: Client, alice: User, dave: User, team_task: Task
) -> None:
    response = signed_in(client, dave).post(url(team_task), {"body": "Hi @alice"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    comment = Comment.objects.get()
    # A fresh, empty form, and the comment appended to the list out of band.
    assert 'id="comment-form"' in html and "Hi @alice</textarea>" not in html
    assert 'hx-swap-oob="beforeend:#comment-list"' in html
    assert f'id="comment-{comment.pk}"' in html
    assert comment.author == dave
    assert alice.notifications.filter(event="task.mentioned").exists()


def test_it_comments_without_javascript(client: Client, bob: User, team_task: Task) -> None:
    response = signed_in(client, bob).post(url(team_task), {"body": "Plain"})
    comment = Comment.objects.get()
    assert response["Location"] == f"/dashboard/tasks/{team_task.pk}#comment-{comment.pk}"


def test_it_shows_why_a_comment_was_refused(client: Client, bob: User, team_task: Task) -> None:
    response = signed_in(client, bob).post(url(team_task), {"body": "   "}, **HTMX)
    assert response.status_code == 400
    assert "Write something first." in response.content.decode()
    response = client.post(url(team_task), {"body": "   "})
    assert response["Location"].endswith("#comment-form")
    assert "Write something first." in page(client, team_task)
    assert not Comment.objects.exists()


def test_it_hides_the_comments_from_a_stranger(
    client: Client, bob: User, charlie: User, team_task: Task
) -> None:
    comment = services.add_comment(team_task, bob, "Internal")
    signed_in(client, charlie)
    assert client.post(url(team_task), {"body": "x"}).status_code == 404
    assert client.get(url(team_task, f"/{comment.pk}/edit"), **HTMX).status_code == 404
    assert client.post(url(team_task, f"/{comment.pk}/delete"), {"confirm": "1"}).status_code == 404
    assert Comment.objects.filter(deleted_at__isnull=True).count() == 1


def test_it_offers_edit_and_delete_only_where_allowed(
    client: Client, alice: User, bob: User, dave: User, team_task: Task
) -> None:
    comment = services.add_comment(team_task, bob, "Bob's")
    edit, delete = url(team_task, f"/{comment.pk}/edit"), url(team_task, f"/{comment.pk}/delete")
    dave_sees = page(signed_in(client, dave), team_task)
    assert edit not in dave_sees and delete not in dave_sees
    admin_sees = page(signed_in(client, alice), team_task)
    assert edit not in admin_sees and delete in admin_sees
    author_sees = page(signed_in(client, bob), team_task)
    assert edit in author_sees and delete in author_sees
    assert signed_in(client, dave).post(edit, {"body": "Changed"}).status_code == 403
    assert signed_in(client, dave).post(delete, {"confirm": "1"}).status_code == 403


def test_the_author_edits_in_place(client: Client, bob: User, team_task: Task) -> None:
    comment = services.add_comment(team_task, bob, "Frist")
    signed_in(client, bob)
    form = client.get(url(team_task, f"/{comment.pk}/edit"), **HTMX).content.decode()
    assert "Frist</textarea>" in form and 'class="comment is-editing"' in form
    refused = client.post(url(team_task, f"/{comment.pk}/edit"), {"body": ""}, **HTMX)
    assert refused.status_code == 400
    saved = client.post(url(team_task, f"/{comment.pk}/edit"), {"body": "First"}, **HTMX)
    html = saved.content.decode()
    assert '<p dir="auto">First</p>' in html and "edited" in html
    cancel = client.get(url(team_task, f"/{comment.pk}"), **HTMX).content.decode()
    assert f'id="comment-{comment.pk}"' in cancel and '<p dir="auto">First</p>' in cancel


def test_the_author_edits_without_javascript(client: Client, bob: User, team_task: Task) -> None:
    comment = services.add_comment(team_task, bob, "Frist")
    signed_in(client, bob)
    form = client.get(url(team_task, f"/{comment.pk}/edit"))
    assert form.status_code == 200 and "Frist</textarea>" in form.content.decode()
    saved = client.post(url(team_task, f"/{comment.pk}/edit"), {"body": "First"})
    assert saved["Location"] == f"/dashboard/tasks/{team_task.pk}#comment-{comment.pk}"
    assert Comment.objects.get().body == "First"


def test_delete_asks_first_without_javascript(client: Client, bob: User, team_task: Task) -> None:
    comment = services.add_comment(team_task, bob, "Oops")
    signed_in(client, bob)
    asked = client.post(url(team_task, f"/{comment.pk}/delete"))
    assert asked.status_code == 200 and "Delete this comment?" in asked.content.decode()
    assert Comment.objects.get().deleted_at is None
    done = client.post(url(team_task, f"/{comment.pk}/delete"), {"confirm": "1"})
    assert done["Location"] == f"/dashboard/tasks/{team_task.pk}#comments"
    assert Comment.objects.get().deleted_at is not None
    assert "Oops" not in page(client, team_task)


def test_delete_with_htmx_removes_the_comment(client: Client, bob: User, team_task: Task) -> None:
    comment = services.add_comment(team_task, bob, "Oops")
    response = signed_in(client, bob).post(
        url(team_task, f"/{comment.pk}/delete"), {"confirm": "1"}, **HTMX
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Retarget"] == f"#comment-{comment.pk}"


@pytest.mark.parametrize(("who", "shown"), [("alice", True), ("bob", False)])
def test_only_admins_see_the_history(
    who: str,
    shown: bool,
    request: pytest.FixtureRequest,
    client: Client,
    bob: User,
    team_task: Task,
) -> None:
    comment = services.add_comment(team_task, bob, "Version one")
    services.edit_comment(comment, bob, "Version two")
    html = page(signed_in(client, request.getfixturevalue(who)), team_task)
    assert "Version two" in html
    assert ('class="comment-history"' in html) is shown
    assert ("Version one" in html) is shown


def test_it_speaks_persian(client: Client, bob: User, team_task: Task) -> None:
    services.add_comment(team_task, bob, "سلام")
    client.cookies["django_language"] = "fa"
    html = page(signed_in(client, bob), team_task)
    assert "نظرها" in html
    assert '<div class="comment-body" dir="auto"><p dir="auto">سلام</p>' in html


@pytest.mark.parametrize(("who", "shown"), [("alice", True), ("bob", False)])
def test_admins_still_read_deleted_comments(
    who: str,
    shown: bool,
    request: pytest.FixtureRequest,
    client: Client,
    bob: User,
    team_task: Task,
) -> None:
    comment = services.add_comment(team_task, bob, "First thought")
    comment = services.edit_comment(comment, bob, "Second thought")
    services.delete_comment(comment, bob, "editor")
    html = page(signed_in(client, request.getfixturevalue(who)), team_task)
    assert ("Deleted comments" in html) is shown
    assert ("Second thought" in html) is shown
    assert ("First thought" in html) is shown
    assert ("comment, deleted by bob" in html) is shown
