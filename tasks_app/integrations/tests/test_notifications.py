"""In-app notifications from the integrations tick: completed, failed and overdue, told once,
mailed to users who asked, listed and marked read through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from tasks_app.integrations.events import task_finished, tick
from tasks_app.integrations.models import Notification
from tasks_app.integrations.notifications import message, unread_count
from tasks_app.models import Kind, Status, Task

NOTIFICATIONS = "/api/v1/notifications"


def api(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(issue_tokens(user)[0]))
    return client


def transcription(user: Any, status: str, **fields: Any) -> Task:
    fields.setdefault("title", "Interview")
    if status == Status.COMPLETED:
        fields.setdefault("completed_at", timezone.now())
    return Task.objects.create(
        user=user, kind=Kind.TRANSCRIPTION, file_path="uploads/x.flac", status=status, **fields
    )


def todo(user: Any, due_in: timedelta, **fields: Any) -> Task:
    return Task.objects.create(
        user=user, title="Call back", due_date=timezone.now() + due_in, **fields
    )


def test_it_notifies_the_owner_of_completed_and_failed_transcriptions(alice: Any, bob: Any) -> None:
    done = transcription(alice, Status.COMPLETED, title="Board meeting")
    transcription(alice, Status.FAILED, title="Broken")
    transcription(alice, Status.CANCELLED)
    transcription(alice, Status.PROCESSING)
    tick()
    found = Notification.objects.filter(user=alice).order_by("event")
    assert [(n.event, n.title) for n in found] == [
        ("task.completed", "Board meeting"),
        ("task.failed", "Broken"),
    ]
    assert found[0].task == done
    assert message(found[0]) == "“Board meeting” is done."
    assert unread_count(alice) == 2 and unread_count(bob) == 0


def test_it_notifies_overdue_todos_once(alice: Any) -> None:
    late = todo(alice, -timedelta(hours=1))
    todo(alice, timedelta(hours=1))
    todo(alice, -timedelta(hours=1), status=Status.COMPLETED)
    todo(alice, -timedelta(hours=1), status=Status.CANCELLED)
    assert tick().overdue == 1
    assert tick().overdue == 0
    [notification] = Notification.objects.all()
    assert (notification.event, notification.task) == ("task.overdue", late)


def test_it_mails_users_who_asked(
    alice: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alice.notify_by_email = True
    alice.save()
    transcription(alice, Status.COMPLETED, title="Mailed")
    transcription(bob, Status.COMPLETED, title="Not mailed")
    with django_capture_on_commit_callbacks(execute=True):
        tick()
    [sent] = mail.outbox
    assert sent.to == [alice.email]
    assert "“Mailed” is done." in sent.subject
    assert "/dashboard/tasks/" in sent.body


# Transactional: the mail goes out as the event commits, inside the tick, as in production.
@pytest.mark.django_db(transaction=True)
def test_it_mails_a_title_with_line_breaks_on_one_line(alice: Any, bob: Any) -> None:
    alice.notify_by_email = True
    alice.save()
    Task.objects.create(
        user=alice,
        title="Call\r\nBcc: everyone@example.com",
        due_date=timezone.now() - timedelta(hours=1),
    )
    transcription(bob, Status.COMPLETED, title="Bob's")
    report = tick()
    assert (report.events, report.overdue) == (1, 1)
    [sent] = mail.outbox
    assert sent.subject == "Writers: “Call Bcc: everyone@example.com” is overdue."
    assert sent.to == [alice.email]
    assert Notification.objects.filter(user=bob, title="Bob's").exists()


def test_it_tells_a_direct_call_and_the_tick_only_once(alice: Any) -> None:
    task = transcription(alice, Status.COMPLETED)
    assert task_finished(task.pk) is True
    assert task_finished(task.pk) is False
    assert tick().events == 0
    assert Notification.objects.count() == 1


def test_it_lists_and_marks_notifications_read(alice: Any, charlie: Any) -> None:
    first = transcription(alice, Status.COMPLETED, title="One")
    transcription(alice, Status.FAILED, title="Two")
    tick()
    body = api(alice).get(NOTIFICATIONS).json()
    assert body["unread"] == 2
    assert {n["message"] for n in body["notifications"]} == {
        "“One” is done.",
        "“Two” failed.",
    }
    assert {n["task_id"] for n in body["notifications"]} >= {str(first.pk)}
    assert api(charlie).get(NOTIFICATIONS).json() == {"notifications": [], "unread": 0}

    one = Notification.objects.get(title="One")
    # charlie cannot mark alice's notification read.
    assert api(charlie).post(f"{NOTIFICATIONS}/read", {"ids": [one.pk]}, format="json").json() == {
        "marked": 0
    }
    marked = api(alice).post(f"{NOTIFICATIONS}/read", {"ids": [one.pk]}, format="json")
    assert marked.json() == {"marked": 1}
    assert unread_count(alice) == 1
    assert api(alice).post(f"{NOTIFICATIONS}/read", {}, format="json").json() == {"marked": 1}
    assert unread_count(alice) == 0


def test_it_saves_notification_preferences(alice: Any) -> None:
    client = api(alice)
    assert client.get("/api/v1/auth/preferences").json() == {
        "notify_by_email": False,
        "audio_retention_days": None,
    }
    response = client.patch(
        "/api/v1/auth/preferences",
        {"notify_by_email": True, "audio_retention_days": 30},
        format="json",
    )
    assert response.json() == {"notify_by_email": True, "audio_retention_days": 30}
    alice.refresh_from_db()
    assert (alice.notify_by_email, alice.audio_retention_days) == (True, 30)
    bad = client.patch("/api/v1/auth/preferences", {"audio_retention_days": 0}, format="json")
    assert bad.status_code == 400
