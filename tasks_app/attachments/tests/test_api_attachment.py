"""GET (download, with ranges), HEAD and DELETE /api/v1/tasks/<id>/attachments/<attachment id>."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import blobs
from tasks_app.attachments.models import Attachment
from tasks_app.attachments.tests.conftest import NOTES
from tasks_app.models import Task


def url(attachment: Attachment, task: Task | None = None) -> str:
    return f"/api/v1/tasks/{(task or attachment.task).pk}/attachments/{attachment.pk}"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("who", ["alice", "bob", "dave"])
def test_it_downloads_the_file_as_an_attachment_for_every_member(
    who: str,
    request: pytest.FixtureRequest,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "گزارش جلسه.txt")
    response = api(request.getfixturevalue(who)).get(url(attachment))
    assert response.status_code == 200
    assert body(response) == NOTES
    assert response["Content-Type"] == "text/plain"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
    assert response["Accept-Ranges"] == "bytes"


def test_it_answers_a_range_and_refuses_one_past_the_end(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    client = api(alice)
    partial = client.get(url(attachment), HTTP_RANGE="bytes=0-5")
    assert partial.status_code == 206
    assert body(partial) == NOTES[:6]
    assert partial["Content-Range"] == f"bytes 0-5/{len(NOTES)}"
    beyond = client.get(url(attachment), HTTP_RANGE=f"bytes={len(NOTES) + 10}-")
    assert beyond.status_code == 416
    assert beyond["Content-Range"] == f"bytes */{len(NOTES)}"
    head = client.head(url(attachment))
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(NOTES))
    assert head.content == b""


def test_it_hides_attachments_from_strangers_and_other_tasks(
    alice: User,
    charlie: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    assert api(charlie).get(url(attachment)).status_code == 404
    assert api(charlie).delete(url(attachment)).status_code == 404
    # The attachment of one task is not found through another task alice may read.
    other = make_task(alice)
    assert api(alice).get(url(attachment, other)).status_code == 404
    missing = f"/api/v1/tasks/{shared_task.pk}/attachments/"
    assert api(alice).get(missing + str(uuid.uuid4())).json()["detail"]
    assert api(alice).get(missing + "not-a-uuid").status_code == 404
    # A deleted task's attachments go with it, to the Trash.
    Task.objects.filter(pk=shared_task.pk).update(deleted_at="2026-01-01T00:00:00Z")
    assert api(alice).get(url(attachment)).status_code == 404


def test_it_answers_410_when_the_file_is_missing(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    blobs.delete(attachment.file_path)
    response = api(alice).get(url(attachment))
    assert response.status_code == 410
    assert response.json()["code"] == "file_gone"


def test_an_editor_deletes_it_and_its_file_once_committed(
    backend: str,
    alice: User,
    bob: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
    django_capture_on_commit_callbacks: Any,
) -> None:
    attachment = attach(shared_task, alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(bob).delete(url(attachment))
        assert response.status_code == 204
        # Until the deletion commits, the file stays: a rollback would find it still there.
        assert blobs.exists(attachment.file_path)
    for callback in callbacks:
        callback()
    assert not blobs.exists(attachment.file_path)
    assert not Attachment.objects.exists()
    assert api(bob).delete(url(attachment)).status_code == 404


def test_a_viewer_may_not_delete(
    alice: User,
    dave: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    response = api(dave).delete(url(attachment))
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"].lower()
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_it_streams_from_the_store_and_keeps_nothing_on_this_disk(
    s3: str,
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
    settings: Any,
) -> None:
    attachment = attach(shared_task, alice)
    assert not (settings.STORAGE_ROOT / "attachments").exists()
    response = api(alice).get(url(attachment))
    assert response.status_code == 200
    assert body(response) == NOTES
    assert response["ETag"] == blobs.stat(attachment.file_path).etag


def test_it_answers_503_when_the_store_is_down(
    s3_down: Callable[[], None],
    alice: User,
    api: Callable[..., APIClient],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    s3_down()
    response = api(alice).get(url(attachment))
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
