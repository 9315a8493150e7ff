"""tasks_app.services: what pages and API share, beyond what the endpoint tests show."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from tasks_app import blobs, services
from tasks_app.models import Kind, Status, Task


def stored_uploads() -> list[str]:
    """What is stored under uploads/, on the disk or in the bucket of the test's backend."""
    return sorted(name for name, _ in blobs.listing("uploads"))


class Boom(Exception):
    pass


def test_it_leaves_no_row_file_or_job_when_saving_fails_after_the_file_is_written(
    backend: str,
    alice: User,
    upload: Callable[..., SimpleUploadedFile],
    queues: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise Boom

    # Fails inside the atomic block, after the INSERT: the row must roll back with the file.
    monkeypatch.setattr(services.transaction, "on_commit", fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        services.create_task(alice, title="JFK", upload=upload())
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_store_a_file_inside_a_callers_transaction(
    alice: User, upload: Callable[..., SimpleUploadedFile], queues: dict[str, Any]
) -> None:
    # A rollback out there could not remove the file, so the upload's block is durable.
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_task(alice, title="JFK", upload=upload())
    assert not Task.objects.exists()
    assert stored_uploads() == []
    assert queues["media"].count == 0


@pytest.mark.django_db(transaction=True)
def test_it_enqueues_exactly_once_on_a_real_commit(
    alice: User, upload: Callable[..., SimpleUploadedFile], queues: dict[str, Any]
) -> None:
    task = services.create_task(alice, title="JFK", upload=upload(".ogg"))
    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert queues["media"].job_ids == [f"task-{task.pk}-1"]


def test_it_creates_a_todo_without_touching_the_queue(
    alice: User, queues: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        task = services.create_task(alice, title=" Write report ")
    assert (task.kind, task.title, task.status) == (Kind.TODO, "Write report", Status.PENDING)
    assert callbacks == []
    assert queues["media"].count == 0


def test_it_finds_a_members_task_and_hides_it_from_others(
    alice: User, bob: User, charlie: User, dave: User, team: Any, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    assert services.get_task_for_user(alice, str(task.pk)) == task
    with pytest.raises(Http404):
        services.get_task_for_user(charlie, task.pk)
    shared = make_task(alice, workspace=team)
    assert services.get_task_for_user(dave, shared.pk).role == "viewer"
    assert services.get_task_to_change(bob, shared.pk) == shared
    with pytest.raises(PermissionDenied):
        services.get_task_to_change(dave, shared.pk)
    with pytest.raises(Http404):
        services.get_task_to_change(charlie, shared.pk)
    with pytest.raises(Http404):
        services.get_task_for_user(alice, "nope")
    services.delete_task(task)
    with pytest.raises(Http404):
        services.get_task_for_user(alice, task.pk)


def test_it_soft_deletes_a_todo_without_changing_its_status(
    alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, status=Status.IN_PROGRESS)
    services.delete_task(task)
    assert task.deleted_at is not None
    assert task.status == Status.IN_PROGRESS


def test_it_refuses_to_update_fields_that_are_not_the_owners(
    alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice)
    with pytest.raises(ValidationError) as error:
        services.update_task(task, file_path="../../etc/passwd")
    assert "file_path" in error.value.message_dict


def test_it_never_overwrites_a_finished_task_when_cancelling_late(
    alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    Task.objects.filter(pk=task.pk).update(status=Status.COMPLETED)
    assert services.cancel_task(task) is False
    task.refresh_from_db()
    assert task.status == Status.COMPLETED


def test_it_purges_audio_but_keeps_the_transcript(
    backend: str, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result)
    assert services.purge_audio(task) is True
    assert not blobs.exists(task.file_path)
    assert services.upload_name(task) is None
    assert services.load_result(task)["text"] == result["text"]
    assert services.purge_audio(task) is False


def test_it_keeps_the_audio_of_an_active_task(alice: User, make_task: Callable[..., Task]) -> None:
    task = make_task(alice, file=True, status=Status.PROCESSING)
    assert services.purge_audio(task) is False
    assert (settings.STORAGE_ROOT / task.file_path).exists()


def test_purge_deleted_removes_old_deleted_tasks_their_files_and_orphans(
    alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    old = make_task(alice, file=True, status=Status.COMPLETED, result=result)
    recent = make_task(alice, file=True, status=Status.COMPLETED)
    kept = make_task(alice, file=True, status=Status.COMPLETED)
    Task.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=2))
    Task.objects.filter(pk=recent.pk).update(deleted_at=timezone.now())
    orphan = settings.STORAGE_ROOT / "uploads" / "0000-orphan.mp3"
    orphan.write_bytes(b"left by a crash")
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    fresh_orphan = settings.STORAGE_ROOT / "uploads" / "0000-being-written.mp3.part"
    fresh_orphan.write_bytes(b"an upload in flight")

    out = StringIO()
    call_command("purge_deleted", stdout=out)

    assert "Purged 1 tasks and 3 files." in out.getvalue()
    assert set(Task.objects.values_list("pk", flat=True)) == {recent.pk, kept.pk}
    assert not (settings.STORAGE_ROOT / old.file_path).exists()
    assert not (settings.STORAGE_ROOT / old.result_path).exists()
    assert not orphan.exists()
    assert fresh_orphan.exists()
    assert (settings.STORAGE_ROOT / recent.file_path).exists()
    assert (settings.STORAGE_ROOT / kept.file_path).exists()


def test_purge_deleted_sweeps_nested_results_and_orphans_from_either_store(
    backend: str,
    alice: User,
    make_task: Callable[..., Task],
    result: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every stored file counts as old enough to be lost: an object's age cannot be set.
    monkeypatch.setattr(services, "ORPHAN_GRACE", timedelta(seconds=-60))
    task = make_task(alice, file=True, status=Status.COMPLETED)
    current = f"results/{task.pk}/2.json"
    blobs.write_json(current, result)
    Task.objects.filter(pk=task.pk).update(result_path=current)
    # The result written before it, whose removal a crash stopped.
    stale = f"results/{task.pk}/1.json"
    blobs.write_json(stale, result)
    gone = make_task(alice, file=True, deleted_at=timezone.now() - timedelta(days=30))
    gone_result = f"results/{gone.pk}/7.json"
    blobs.write_json(gone_result, result)
    orphans = ["uploads/lost.flac", f"attachments/{task.pk}/lost.txt"]
    for name in orphans:
        blobs.write_bytes(name, b"left by a crash")

    report = services.purge_deleted(timedelta(days=7))

    assert (report.tasks, report.files) == (1, 5)
    assert blobs.exists(current) and blobs.exists(task.file_path)
    assert not any(blobs.exists(name) for name in (stale, gone.file_path, gone_result, *orphans))
    if backend == "local":
        assert not (settings.STORAGE_ROOT / "results" / str(gone.pk)).exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"model": "no-such-model"}, "model"),
        ({"language": "xx"}, "language"),
        ({"task": "dance"}, "task"),
        ({"vad_filter": "maybe"}, "vad_filter"),
        ({"initial_prompt": "x" * 2001}, "initial_prompt"),
    ],
)
def test_clean_options_names_the_bad_option(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.clean_options(options)
    assert list(error.value.message_dict) == [field]


def test_clean_options_treats_auto_as_detect() -> None:
    assert services.clean_options({"language": "auto", "vad_filter": "on"}) | {} == {
        "model_name": "tiny.en",  # the default (settings.MODEL_NAME), recorded at upload
        "language": "",
        "mode": "transcribe",
        "word_timestamps": False,
        "vad_filter": True,
        "initial_prompt": "",
        "hotwords": "",
        "batched": False,
        "normalized_audio": False,
        "channels": "auto",
        "speakers": 0,
    }


def test_a_task_lists_statement_key_names_everything_its_query_depends_on(
    alice: User, bob: User
) -> None:
    from datetime import date

    filters = services.task_filters(alice, ordering="-priority", created_from=date(2026, 1, 1))

    assert filters.statement_key(alice) == services.task_filters(
        alice, ordering="-priority", created_from=date(2026, 1, 1)
    ).statement_key(alice)
    assert filters.statement_key(alice) != filters.statement_key(bob)
    assert filters.statement_key(alice) != services.task_filters(alice).statement_key(alice)
    in_utc = filters.statement_key(alice)
    with timezone.override("Asia/Tehran"):  # the day starts at another moment
        assert filters.statement_key(alice) not in (None, in_utc)
    # The overdue filter compares due dates with the time of the request.
    assert services.task_filters(alice, overdue=True).statement_key(alice) is None
    assert services.task_filters(alice, overdue=False).statement_key(alice) is None
