"""GET and POST /notifications, and the unread count in the header of every page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

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


def test_it_says_how_long_ago_in_english_and_persian(client: Client, alice: User) -> None:
    completed(alice, "One")
    tick()
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    signed_in(client, alice)
    assert re.search(r"5\s+minutes ago", client.get("/notifications").content.decode())
    client.cookies["django_language"] = "fa"
    assert re.search(r"۵\s+دقیقه پیش", client.get("/notifications").content.decode())


def test_the_badge_partial_counts_unread_for_the_header_poll(client: Client, alice: User) -> None:
    signed_in(client, alice)
    header = client.get("/dashboard").content.decode()
    assert 'hx-get="/notifications/badge"' in header and "every 30s" in header
    empty = client.get("/notifications/badge", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="unread-badge"' in empty and 'class="badge"' not in empty
    completed(alice, "One")
    tick()
    badge = client.get("/notifications/badge", HTTP_HX_REQUEST="true").content.decode()
    assert '<span class="badge" aria-label="1 unread">1</span>' in badge


def test_marking_read_in_place_tells_the_badge(client: Client, alice: User) -> None:
    completed(alice, "One")
    tick()
    signed_in(client, alice)
    response = client.post("/notifications", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-read"
    assert 'id="notification-list"' in response.content.decode()
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_unread_count_is_in_persian_digits_for_persian_readers(
    client: Client, alice: User
) -> None:
    completed(alice, "One")
    tick()
    signed_in(client, alice)
    client.cookies["django_language"] = "fa"
    header = client.get("/dashboard").content.decode()
    badge = re.search(r'<span class="badge" aria-label="([^"]+)">([^<]+)</span>', header)
    assert badge is not None
    # What a screen reader says and what the eye sees: both in Persian digits.
    assert badge.group(2) == "۱" and "۱" in badge.group(1) and "1" not in badge.group(1)


def test_each_notification_leads_where_it_is_about(
    client: Client, alice: User, bob: User, make_task: Any
) -> None:
    from tasks_app.integrations.models import TaskEvent
    from tasks_app.integrations.notifications import notify_user

    task = make_task(alice, title="Quotes")
    notify_user(alice, TaskEvent.Kind.MENTIONED, task=task, title=task.title, actor=bob)
    notify_user(alice, TaskEvent.Kind.ASSIGNED, task=task, title=task.title, actor=bob)
    signed_in(client, alice)
    body = client.get("/notifications").content.decode()
    # A mention opens the discussion, an assignment the task.
    assert f'href="/dashboard/tasks/{task.pk}#comments">bob mentioned you' in body
    assert f'href="/dashboard/tasks/{task.pk}">bob assigned' in body
