"""The Attachments panel on the task page: what each role sees, in English and Persian."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task


def test_an_editor_sees_files_downloads_and_every_action(
    alice: User,
    bob: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    notes = attach(shared_task, alice, "notes.txt")
    attach(shared_task, alice, "data.dat", b"\x00\x01")
    html = page(bob).get(f"/dashboard/tasks/{shared_task.pk}").content.decode()
    assert 'id="attachments"' in html
    assert f'href="/api/v1/tasks/{shared_task.pk}/attachments/{notes.pk}" download' in html
    assert "Alice Owner" in html  # who attached it
    assert html.count("Analyse text") == 1  # the text file only
    assert f"/attachments/{notes.pk}/delete" in html
    assert 'enctype="multipart/form-data"' in html


def test_a_viewer_sees_the_list_and_downloads_only(
    alice: User,
    dave: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    notes = attach(shared_task, alice, "notes.txt")
    html = page(dave).get(f"/dashboard/tasks/{shared_task.pk}").content.decode()
    assert f'/attachments/{notes.pk}" download' in html
    assert "/delete" not in html.split('id="attachments"')[1]
    assert "Analyse text" not in html
    assert 'name="file"' not in html


@pytest.mark.parametrize(
    ("language", "heading", "empty"),
    [("en", "Attachments", "No attachments yet."), ("fa", "پیوست‌ها", "هنوز پیوستی نیست.")],
)
def test_it_speaks_the_users_language(
    language: str,
    heading: str,
    empty: str,
    alice: User,
    page: Callable[[User], Client],
    shared_task: Task,
) -> None:
    client = page(alice)
    client.cookies["django_language"] = language
    html = client.get(f"/dashboard/tasks/{shared_task.pk}").content.decode()
    assert heading in html and empty in html
