"""tasks_app.comments.services: rendering and sanitising, mentions, history, webhooks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tasks_app.comments import services
from tasks_app.comments.models import Comment, CommentEdit
from tasks_app.integrations.models import Notification, TaskEvent, Webhook, WebhookDelivery
from tasks_app.models import Task
from tasks_app.workspaces.models import Role

BOB = {"bob": type("Member", (), {"username": "bob", "full_name": "Bob Editor"})()}


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](javascript:alert(1))",
        '![x" onerror="alert(1)](https://example.org/a.png)',
        "<iframe src=https://example.org></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "@bob<script>alert(1)</script>",
    ],
)
def test_it_lets_no_script_through(body: str) -> None:
    html = str(services.render(body, BOB))
    # What is left of the attack may show as text; no tag or attribute of it survives.
    for tag in re.findall(r"<[^>]*>", html):
        name = re.match(r"</?([a-z0-9]+)", tag)
        assert name and name.group(1) in services.ALLOWED_TAGS, tag
        assert not re.search(r"javascript:|data:|\son\w+=|style=", tag, re.IGNORECASE), tag


def test_it_renders_markdown() -> None:
    html = str(services.render("# Title\n\n**bold** _it_ `code`\nnext\n\n> quote\n\n- one"))
    assert '<h3 dir="auto">Title</h3>' in html  # the page's own headings stay above a comment's
    assert "<strong>bold</strong> <em>it</em> <code>code</code><br>" in html
    assert '<blockquote dir="auto">' in html and '<li dir="auto">one</li>' in html


def test_it_keeps_links_safe() -> None:
    html = str(services.render("[site](https://example.org) ![chart](https://example.org/c.png)"))
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    # A picture is a link to it, not loaded in everyone's page.
    assert (
        '<a href="https://example.org/c.png" rel="noopener noreferrer nofollow">chart</a>' in html
    )


def test_it_marks_mentions_of_members_outside_code_and_links() -> None:
    html = str(services.render("@bob, `@bob` [@bob](https://example.org) @nobody", BOB))
    assert html.count('class="mention"') == 1
    assert '<span class="mention" dir="auto" title="Bob Editor">@bob</span>,' in html
    assert "<code>@bob</code>" in html and "@nobody" in html
    assert services.mentioned_names("Hi @Bob. `@dave` mail a@bob.org\n```\n@carol\n```") == ["bob"]


def test_it_refuses_an_empty_or_long_comment(alice: User, team_task: Task) -> None:
    for body, code in (("   \n ", "blank"), ("x" * (services.MAX_CHARS + 1), "too_long")):
        with pytest.raises(ValidationError) as error:
            services.add_comment(team_task, alice, body)
        assert error.value.error_dict["body"][0].code == code
    comment = services.add_comment(team_task, alice, "  " + "x" * services.MAX_CHARS + "\n")
    assert comment.body == "x" * services.MAX_CHARS


def notified(user: User, event: str) -> list[Notification]:
    return list(Notification.objects.filter(user=user, event=event))


def test_it_notifies_each_mentioned_member_once(
    alice: User, bob: User, charlie: User, dave: User, team_task: Task
) -> None:
    services.add_comment(team_task, bob, "@dave @DAVE @charlie @bob and @alice: look")
    [mention] = notified(dave, TaskEvent.Kind.MENTIONED)
    assert mention.actor == bob and mention.task == team_task
    assert mention.title == "Interview"
    assert not Notification.objects.filter(user__in=[charlie, bob]).exists()  # stranger, author
    # The owner was mentioned: one notification, the mention, not a second "commented".
    assert [n.event for n in Notification.objects.filter(user=alice)] == ["task.mentioned"]


def test_it_tells_the_owner_and_the_assignee(
    alice: User, bob: User, dave: User, team_task: Task
) -> None:
    Task.objects.filter(pk=team_task.pk).update(assignee=bob)
    team_task.refresh_from_db()
    services.add_comment(team_task, dave, "Done?")
    assert len(notified(alice, TaskEvent.Kind.COMMENTED)) == 1
    assert len(notified(bob, TaskEvent.Kind.COMMENTED)) == 1
    assert not notified(dave, TaskEvent.Kind.COMMENTED)  # the author


def test_an_edit_notifies_only_the_newly_mentioned(
    alice: User, bob: User, dave: User, team_task: Task
) -> None:
    comment = services.add_comment(team_task, alice, "@bob please")
    edited = services.edit_comment(comment, alice, "@bob and @dave please")
    assert len(notified(bob, TaskEvent.Kind.MENTIONED)) == 1
    assert len(notified(dave, TaskEvent.Kind.MENTIONED)) == 1
    assert edited.edited_at is not None
    assert [e.body for e in CommentEdit.objects.filter(comment=comment)] == ["@bob please"]


def test_only_the_author_edits(alice: User, bob: User, team_task: Task) -> None:
    comment = services.add_comment(team_task, bob, "Mine")
    with pytest.raises(PermissionDenied):
        services.edit_comment(comment, alice, "Changed")
    assert Comment.objects.get(pk=comment.pk).body == "Mine"


def test_the_author_or_an_admin_deletes_and_admins_keep_the_history(
    alice: User, bob: User, dave: User, team_task: Task
) -> None:
    comment = services.add_comment(team_task, dave, "First")
    services.edit_comment(comment, dave, "Second")
    with pytest.raises(PermissionDenied):
        services.delete_comment(comment, bob, Role.EDITOR)
    assert services.delete_comment(comment, alice, Role.ADMIN)
    assert not services.delete_comment(comment, alice, Role.ADMIN)
    team_task.role = Role.ADMIN
    assert services.comments_for(team_task, alice) == []
    assert [e.body for e in services.history(comment, Role.ADMIN)] == ["Second", "First"]
    with pytest.raises(PermissionDenied):
        services.history(comment, Role.EDITOR)


def test_it_lists_with_a_fixed_number_of_queries(
    alice: User, bob: User, dave: User, team_task: Task
) -> None:
    def queries() -> int:
        team_task.role = Role.ADMIN
        with CaptureQueriesContext(connection) as captured:
            comments = services.comments_for(team_task, alice)
        assert [c.html for c in comments]
        return len(captured)

    services.add_comment(team_task, bob, "@dave one")
    few = queries()
    for n in range(5):
        comment = services.add_comment(team_task, dave, f"@bob reply {n}")
        services.edit_comment(comment, dave, f"@alice reply {n}")
    assert queries() == few == 3


def test_it_posts_task_commented_to_the_owners_webhooks(
    alice: User, bob: User, team_task: Task, django_capture_on_commit_callbacks: Any
) -> None:
    Webhook.objects.create(user=alice, url="https://example.org/hook", secret="s")
    Webhook.objects.create(user=alice, url="https://example.org/off", secret="s", is_active=False)
    Webhook.objects.create(user=bob, url="https://example.org/bob", secret="s")
    comment = services.add_comment(team_task, bob, "Hello **there**")
    [delivery] = WebhookDelivery.objects.all()
    assert delivery.webhook.url == "https://example.org/hook"
    assert delivery.event == "task.commented"
    payload = delivery.payload
    assert payload["id"] == str(team_task.pk) and payload["event"] == "task.commented"
    assert payload["comment"]["id"] == comment.pk
    assert payload["comment"]["author"] == "bob"
    assert payload["comment"]["body"] == "Hello **there**"
    assert payload["timestamp"].endswith("Z") and payload["comment"]["created_at"].endswith("Z")
