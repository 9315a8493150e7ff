"""POST /api/v1/tasks/<id>/attachments/<attachment id>/analyze: a document becomes a text task."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import blobs
from tasks_app.attachments.models import Attachment
from tasks_app.models import Kind, Status, Task
from transcription.tests.samples import make_pdf


def url(attachment: Attachment) -> str:
    return f"/api/v1/tasks/{attachment.task_id}/attachments/{attachment.pk}/analyze"


def test_it_makes_a_text_task_in_the_same_workspace_from_a_copy(
    backend: str,
    alice: User,
    bob: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
    tmp_path: Path,
) -> None:
    pdf = make_pdf(tmp_path / "minutes.pdf", ["Ask not what your country can do for you."])
    attachment = attach(shared_task, alice, "Minutes.pdf", pdf.read_bytes())
    response = api(bob).post(url(attachment))
    assert response.status_code == 202, response.json()
    new = Task.objects.get(pk=response.json()["id"])
    assert response["Location"].endswith(f"/api/v1/tasks/{new.pk}")
    assert (new.kind, new.status) == (Kind.TEXT, Status.PENDING)
    assert new.workspace_id == shared_task.workspace_id
    assert new.user == bob
    assert new.title == "Minutes.pdf"
    # It says where it came from, with a link back.
    assert "Minutes.pdf" in new.description
    assert f"/dashboard/tasks/{shared_task.pk}" in new.description
    # A copy: deleting the attachment later leaves the new task its file.
    assert new.file_path != attachment.file_path
    assert blobs.read_bytes(new.file_path) == pdf.read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("photo.dat", b"\x00\x01\x02 not a document", 409, "not_a_document"),
        ("blank.txt", b"   \n\n  ", 422, "no_text"),
    ],
    ids=["not-a-document", "no-text"],
)
def test_it_refuses_what_text_analysis_cannot_read(
    name: str,
    content: bytes,
    status: int,
    code: str,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, name, content)
    response = api(alice).post(url(attachment))
    assert response.status_code == status
    assert response.json()["code"] == code
    assert Task.objects.count() == 1


def test_it_answers_410_when_the_file_is_missing(
    alice: User, api: Callable[..., APIClient], shared_task: Task, attach: Callable[..., Attachment]
) -> None:
    attachment = attach(shared_task, alice)
    blobs.delete(attachment.file_path)
    assert api(alice).post(url(attachment)).json()["code"] == "file_gone"


def test_a_viewer_may_not(
    alice: User,
    dave: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    assert api(dave).post(url(attachment)).status_code == 403
    assert Task.objects.count() == 1
