"""Due dates on the pages in Persian: the dashboard's to-do form, the upload form and the edit
form all take a Jalali date and show the stored one back in Jalali with Persian digits. (One file
for the three forms: they share one field, and this is its behaviour seen through each page.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task


@pytest.fixture
def alice_in_persian(client: Client, alice: User, settings: Any) -> Client:
    # Tehran is 3 h 30 min ahead of UTC all year: a wrong time zone would show in every row.
    settings.TIME_ZONE = "Asia/Tehran"
    client.cookies["access_token"] = issue_tokens(alice)[0]
    client.cookies["django_language"] = "fa"
    return client


def test_the_dashboard_adds_a_todo_due_on_a_jalali_date(
    alice_in_persian: Client, alice: User
) -> None:
    body = alice_in_persian.get("/dashboard").content.decode()
    assert 'name="due_date"' in body and "data-jalali-picker" in body
    assert 'type="datetime-local"' not in body
    response = alice_in_persian.post(
        "/dashboard/todos", {"title": "Buy a microphone", "due_date": "۱۴۰۵/۰۹/۱۰ ۱۴:۳۰"}
    )
    assert response.status_code == 302
    assert Task.objects.get(user=alice).due_date == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)


def test_the_dashboard_says_why_a_date_is_refused(alice_in_persian: Client, alice: User) -> None:
    response = alice_in_persian.post("/dashboard/todos", {"title": "X", "due_date": "۱۴۰۵/۱۳/۰۱"})
    assert response.status_code == 400
    assert "ماه ۱۳ وجود ندارد" in response.content.decode()
    assert not Task.objects.exists()


def test_the_upload_form_takes_a_jalali_date(
    alice_in_persian: Client,
    alice: User,
    upload: Callable[..., SimpleUploadedFile],
    queues: Any,
) -> None:
    body = alice_in_persian.get("/dashboard/upload").content.decode()
    assert "data-jalali-picker" in body and "jalali-picker.js" in body
    response = alice_in_persian.post(
        "/dashboard/upload",
        {
            "file": upload(".flac"),
            "mode": "transcribe",
            "model": "tiny.en",
            "due_date": "1403/12/30",  # Latin digits, Esfand 30 of a leap year
        },
    )
    assert response.status_code == 302
    # Midnight in Tehran, the site's zone, is 20:30 UTC the day before.
    assert Task.objects.get(user=alice).due_date == datetime(2025, 3, 19, 20, 30, tzinfo=UTC)


def test_the_upload_form_refuses_a_day_the_month_lacks(
    alice_in_persian: Client, alice: User, upload: Callable[..., SimpleUploadedFile]
) -> None:
    response = alice_in_persian.post(
        "/dashboard/upload",
        {
            "file": upload(".flac"),
            "mode": "transcribe",
            "model": "tiny.en",
            "due_date": "1404/12/30",
        },
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "اسفند ۱۴۰۴ فقط ۲۹ روز دارد." in body
    assert 'value="1404/12/30"' in body  # what was typed stays in the box to be corrected
    assert not Task.objects.exists()


def test_the_edit_form_shows_the_stored_date_in_jalali_and_saves_a_new_one(
    alice_in_persian: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Call back", due_date=datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    url = f"/dashboard/tasks/{task.pk}/edit"
    body = alice_in_persian.get(url).content.decode()
    assert 'value="۱۴۰۵/۰۹/۱۰ ۱۴:۳۰"' in body

    # Saved untouched, the date survives its trip through Jalali text.
    response = alice_in_persian.post(
        url, {"title": "Call back", "due_date": "۱۴۰۵/۰۹/۱۰ ۱۴:۳۰", "status": "PENDING"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.due_date == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)

    alice_in_persian.post(
        url, {"title": "Call back", "due_date": "۱۴۰۶/۰۱/۰۱", "status": "PENDING"}
    )
    task.refresh_from_db()
    assert task.due_date == datetime(2027, 3, 20, 20, 30, tzinfo=UTC)  # Nowruz 1406, Tehran


def test_the_edit_form_stays_gregorian_in_english(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, due_date=datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    client.cookies["access_token"] = issue_tokens(alice)[0]
    body = client.get(f"/dashboard/tasks/{task.pk}/edit").content.decode()
    assert 'type="datetime-local" name="due_date" value="2026-12-01T11:00"' in body
    assert "data-jalali-picker" not in body and "jalali-picker.js" not in body
