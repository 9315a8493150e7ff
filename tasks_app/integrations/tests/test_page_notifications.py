"""GET and POST /notifications, and the unread count in the header of every page."""

from __future__ import annotations

from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.integrations.events import tick
from tasks_app.integrations.models import Notification
from tasks_app.models import Kind, Status, Task


def completed(user: User, title: str) -> Task:
    return Task.objects.create(
        user=user,
        title=title,
        kind=Kind.TRANSCRIPTION,
        file_path="u.flac",
        status=Status.COMPLETED,
        completed_at=timezone.now(),
    )


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get("/notifications")["Location"] == "/login?next=/notifications"


def test_it_lists_the_users_notifications_and_counts_unread_in_the_header(
    client: Client, alice: User, charlie: User
) -> None:
    task = completed(alice, "Board meeting")
    completed(charlie, "Charlie's call")
    tick()
    signed_in(client, alice)
    body = client.get("/notifications").content.decode()
    assert "“Board meeting” is done." in body
    assert f"/dashboard/tasks/{task.pk}" in body
    assert "Charlie" not in body
    header = client.get("/dashboard").content.decode()
    assert '<span class="badge" aria-label="1 unread">1</span>' in header


def test_it_marks_all_read(client: Client, alice: User) -> None:
    completed(alice, "One")
    tick()
    signed_in(client, alice)
    assert client.post("/notifications")["Location"] == "/notifications"
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert 'aria-label="1 unread"' not in client.get("/dashboard").content.decode()


def test_it_shows_no_count_to_visitors(client: Client, db: None) -> None:
    assert "notifications-link" not in client.get("/login").content.decode()
