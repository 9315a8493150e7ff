"""A worker that shares no disk with the web (issue 17): it reads the upload from the object store
into a private copy, writes every result under a new name, removes its copies on every outcome
(and a killed process's at the next start), and rides out a store that goes away.

The store is the real SeaweedFS of scripts/services.py (`s3`, or `backend` for both backends);
"down" is the endpoint pointed at a closed port: refused connections, as from a stopped server.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.models import F
from rq.timeouts import JobTimeoutException

from accounts.models import User
from tasks_app import blobs
from tasks_app.models import Attempt, ErrorCode, Kind, Status, Task
from tasks_app.services import cancel_task, retry_task
from transcription import leftovers
from transcription.jobs import stored_name
from transcription.models import KeptResult
from transcription.runner import Stopped, Transcription, transcribe_work
from transcription.services import enqueue_task
from transcription.sweeper import sweep
from transcription.tests.conftest import assert_jfk, subprocess_env, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stored_task(owner: User, jfk_flac: Path) -> Callable[..., Task]:
    """`stored_task(**fields)`: a PENDING transcription whose upload is only in the store."""

    def make(**fields: Any) -> Task:
        task = Task(user=owner, kind=Kind.TRANSCRIPTION, status=Status.PENDING, **fields)
        task.file_path = f"uploads/{task.id}.flac"
        blobs.put_file(task.file_path, jfk_flac)
        task.original_filename = jfk_flac.name
        task.file_size = jfk_flac.stat().st_size
        task.save()
        return task

    return make


def queued(task: Task) -> Task:
    """The task as a worker finds it: IN_PROGRESS, its job taken off the queue."""
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    return task


def results_of(task: Task) -> list[str]:
    return sorted(name for name, _ in blobs.listing(f"results/{task.pk}"))


def scratch_files() -> list[Path]:
    return [path for path in blobs.scratch_root().rglob("*") if path.is_file()]


def test_it_transcribes_an_upload_that_is_only_in_the_bucket(
    s3: str, stored_task: Any, queues: Any, drain: Any
) -> None:
    task = stored_task()
    assert not (Path(settings.STORAGE_ROOT) / "uploads").exists()

    assert enqueue_task(task.pk)
    # The job carries the stored name, which means the same on every host.
    assert queues["media"].jobs[0].kwargs["audio_file_path"] == task.file_path
    drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED
    assert_jfk(task.transcript_text)
    assert results_of(task) == [task.result_path]
    assert blobs.read_json(task.result_path)["text"] == task.transcript_text
    assert not (Path(settings.STORAGE_ROOT) / "results").exists()
    assert scratch_files() == []


def test_each_result_write_takes_a_new_name_and_drops_the_one_it_replaces(
    backend: str, stored_task: Any, settings: Any
) -> None:
    settings.HEARTBEAT_SECONDS = 0  # every segment is saved
    task = queued(stored_task())
    seen: list[tuple[str, list[str]]] = []

    def work(job: Transcription, task: Task) -> dict[str, Any]:
        for text in ("one", "one two", "one two three"):
            job.on_segment(result(task, text, partial=True))
            row = Task.objects.values_list("result_path", "transcript_text").get(pk=task.pk)
            seen.append((row, results_of(task)))
        return result(task, "one two three four", partial=False)

    Transcription(str(task.pk), task.file_path, work).run()

    task.refresh_from_db()
    names = [row[0] for row, _ in seen] + [task.result_path]
    assert [text for (_, text), _ in seen] == ["one", "one two", "one two three"]
    assert all(re.fullmatch(rf"results/{task.pk}/001-\d+\.json", name) for name in names)
    assert names == sorted(set(names))
    # Once the row points at the new result, the one before is gone.
    assert [listed for _, listed in seen] == [[name] for name in names[:-1]]
    assert (task.status, results_of(task)) == (Status.COMPLETED, [task.result_path])
    assert blobs.read_json(task.result_path)["text"] == "one two three four"


def test_a_finished_task_drops_the_results_an_earlier_delete_left_behind(
    backend: str, stored_task: Any
) -> None:
    task = queued(stored_task())
    # A replaced result the store would not delete at the time (it was away a moment).
    left = f"results/{task.pk}/001-1.json"
    blobs.write_json(left, {"task_id": str(task.pk), "text": "old", "partial": True})

    Transcription(
        str(task.pk), task.file_path, lambda job, task: result(task, "done", partial=False)
    ).run()

    task.refresh_from_db()
    assert (task.status, results_of(task)) == (Status.COMPLETED, [task.result_path])


def test_a_late_write_of_an_attempt_that_lost_its_task_leaves_nothing_behind(
    backend: str, stored_task: Any, settings: Any
) -> None:
    settings.HEARTBEAT_SECONDS = 0
    task = queued(stored_task())
    late: list[bool] = []

    def work(job: Transcription, task: Task) -> dict[str, Any]:
        job.on_segment(result(task, "mine", partial=True))
        # The sweeper gave the task to a new attempt meanwhile.
        Task.objects.filter(pk=task.pk).update(attempts=F("attempts") + 1)
        late.append(job.save_partial(job.heartbeat.claim, result(task, "late", partial=True)))
        raise Stopped

    Transcription(str(task.pk), task.file_path, work).run()

    task.refresh_from_db()
    assert late == [False]
    # The last result the row pointed at stays, for the new attempt to resume from.
    assert task.transcript_text == "mine"
    assert results_of(task) == [task.result_path]


def result(task: Task, text: str, *, partial: bool) -> dict[str, Any]:
    return {
        "task_id": str(task.pk),
        "partial": partial,
        "text": text,
        "language": "en",
        "language_probability": 1.0,
        "duration": 11.0,
        "processed_seconds": 2.0 * len(text.split()),
        "confidence": None,
        "segments": [],
        "run": {"model": None, "wall_seconds": 0.1},
    }


def finish(job: Transcription, task: Task) -> dict[str, Any]:
    return result(task, "done", partial=False)


def fail(job: Transcription, task: Task) -> dict[str, Any]:
    raise RuntimeError("the engine broke")


def time_out(job: Transcription, task: Task) -> dict[str, Any]:
    raise JobTimeoutException("deadline passed")


def cancel(job: Transcription, task: Task) -> dict[str, Any]:
    job.on_segment(result(task, "half", partial=True))
    assert cancel_task(task)
    wait_for(job.heartbeat.lost.is_set, 10)
    job.checkpoint()
    raise AssertionError("a cancelled task goes on")


@pytest.mark.parametrize(
    ("work", "status", "code"),
    [
        (finish, Status.COMPLETED, ""),
        (fail, Status.FAILED, ErrorCode.INTERNAL),
        (time_out, Status.FAILED, ErrorCode.TIMEOUT),
        (cancel, Status.CANCELLED, ""),
    ],
)
def test_it_removes_its_copy_of_the_input_however_the_attempt_ends(
    s3: str, stored_task: Any, work: Any, status: str, code: str
) -> None:
    task = queued(stored_task())
    copies: list[Path] = []

    def watched(job: Transcription, task: Task) -> dict[str, Any]:
        copies.append(job.audio_path)
        assert job.audio_path.read_bytes() == blobs.read_bytes(task.file_path)
        return work(job, task)

    Transcription(str(task.pk), task.file_path, watched).run()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (status, code)
    # A private download into this process's scratch directory, gone with the attempt.
    assert copies[0].is_relative_to(blobs.scratch_root())
    assert not copies[0].exists() and scratch_files() == []


KEEP_A_COPY = """
import django, sys, time
django.setup()
from tasks_app import blobs
with blobs.local_copy(sys.argv[1]) as copy:
    print(copy, flush=True)
    time.sleep(600)
"""


def test_a_starting_worker_removes_the_copies_of_a_killed_process(
    s3: str, stored_task: Any, drain: Any
) -> None:
    task = stored_task()
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="writers.settings",
        STORAGE_BACKEND="s3",
        S3_PREFIX=settings.S3_PREFIX,
    )
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", KEEP_A_COPY, task.file_path],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        copy = Path(process.stdout.readline().decode().strip())
        assert copy.is_file()
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    mine = blobs.scratch_dir()
    assert leftovers.temporary_files()[copy.parent].pid == process.pid

    drain()

    assert not copy.parent.exists()
    assert mine.is_dir()


def test_a_live_attempt_keeps_its_scratch_directory_fresh_for_other_hosts_sweepers(
    s3: str, stored_task: Any, settings: Any
) -> None:
    settings.HEARTBEAT_SECONDS = 0.1
    task = queued(stored_task())

    def work(job: Transcription, task: Task) -> dict[str, Any]:
        scratch = job.audio_path.parent
        os.utime(scratch, (0, 0))
        wait_for(lambda: scratch.stat().st_mtime > 0, 30)
        return finish(job, task)

    Transcription(str(task.pk), task.file_path, work).run()

    assert Task.objects.get(pk=task.pk).status == Status.COMPLETED


def test_the_sweeper_removes_another_hosts_abandoned_scratch_directory_by_age(
    settings: Any, queues: Any
) -> None:
    settings.HEARTBEAT_GRACE_SECONDS = 30
    made = []
    for age in (0, 31):
        directory = blobs.scratch_root() / f".copies.{os.getpid()}@other-host.{age:08x}.tmp"
        directory.mkdir(parents=True)
        (directory / "copy.flac").write_bytes(b"audio")
        os.utime(directory, (time.time() - age, time.time() - age))
        made.append(directory)

    assert sweep().leftovers == 1

    assert [directory.exists() for directory in made] == [True, False]


def test_it_keeps_the_result_when_the_store_is_gone_at_the_end_and_stores_it_on_retry(
    s3: str, stored_task: Any, store_down: Any, settings: Any, drain: Any
) -> None:
    settings.STORE_RETRY_SECONDS = 2
    endpoint = settings.S3_ENDPOINT_URL
    task = queued(stored_task())

    def transcribe_then_lose_the_store(job: Transcription, task: Task) -> dict[str, Any]:
        done = transcribe_work(job, task)
        store_down()
        return done

    Transcription(str(task.pk), task.file_path, transcribe_then_lose_the_store).run()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, ErrorCode.STORAGE_UNAVAILABLE)
    assert "could not be reached" in task.error_message
    assert_jfk(task.transcript_text)
    kept = KeptResult.objects.get(task=task).result
    assert kept["text"] == task.transcript_text

    settings.S3_ENDPOINT_URL = endpoint
    # Only the last partial result stored, if the attempt lived long enough to save one.
    assert results_of(task) == ([task.result_path] if task.result_path else [])
    assert retry_task(task)
    drain()

    task.refresh_from_db()
    assert (task.status, task.attempts) == (Status.COMPLETED, 2)
    # The kept result itself, to the last measurement: nothing was transcribed again.
    assert blobs.read_json(task.result_path) == kept
    assert results_of(task) == [task.result_path]
    assert not KeptResult.objects.filter(task=task).exists()


def test_it_stops_waiting_for_the_store_before_the_jobs_deadline(
    s3: str, stored_task: Any, store_down: Any, settings: Any
) -> None:
    settings.STORE_RETRY_SECONDS = 3600
    settings.JOB_TIMEOUT_SECONDS = 12
    task = queued(stored_task())

    def lose_the_store(job: Transcription, task: Task) -> dict[str, Any]:
        store_down()
        return finish(job, task)

    Transcription(str(task.pk), task.file_path, lose_the_store).run()

    task.refresh_from_db()
    assert (task.status, task.error_code) == (Status.FAILED, ErrorCode.STORAGE_UNAVAILABLE)
    assert KeptResult.objects.get(task=task).result["text"] == "done"


@pytest.mark.slow
def test_the_same_attempt_stores_its_result_once_a_killed_store_is_back(
    s3: str, stored_task: Any, settings: Any, tmp_path: Path
) -> None:
    from scripts.services import ObjectStoreServer

    # A store of this test's own, killed and started again on the same ports and data.
    store = ObjectStoreServer(tmp_path / "store").start()
    settings.S3_ENDPOINT_URL = store.url
    settings.STORE_RETRY_SECONDS = 120
    restarted = threading.Thread(target=store.start)
    try:
        task = queued(stored_task())

        def transcribe_then_kill_the_store(job: Transcription, task: Task) -> dict[str, Any]:
            done = transcribe_work(job, task)
            store.stop(signal.SIGKILL)
            restarted.start()
            return done

        Transcription(str(task.pk), task.file_path, transcribe_then_kill_the_store).run()

        task.refresh_from_db()
        assert (task.status, task.attempts) == (Status.COMPLETED, 1)
        assert blobs.read_json(task.result_path)["text"] == task.transcript_text
        assert_jfk(task.transcript_text)
        assert not KeptResult.objects.filter(task=task).exists()
    finally:
        if restarted.ident is not None:
            restarted.join()
        store.stop(signal.SIGKILL)


def test_it_gives_the_task_back_when_the_input_cannot_be_fetched(
    s3: str, stored_task: Any, store_down: Any, settings: Any
) -> None:
    settings.MAX_ATTEMPTS = 2
    task = queued(stored_task())
    store_down()

    Transcription(str(task.pk), task.file_path).run()

    task.refresh_from_db()
    # Back in line for the sweeper, not "file missing": the file is fine, the store is away.
    assert (task.status, task.error_code) == (Status.PENDING, "")
    attempt = Attempt.objects.get(task=task)
    assert (attempt.outcome, attempt.error_code) == ("failed", ErrorCode.STORAGE_UNAVAILABLE)

    Transcription(str(queued(task).pk), task.file_path).run()

    task.refresh_from_db()
    assert (task.status, task.error_code, task.attempts) == (
        Status.FAILED,
        ErrorCode.STORAGE_UNAVAILABLE,
        2,
    )
    assert scratch_files() == []


def test_it_carries_on_when_a_partial_result_cannot_be_stored(
    s3: str, stored_task: Any, store_down: Any, settings: Any
) -> None:
    settings.HEARTBEAT_SECONDS = 0
    endpoint = settings.S3_ENDPOINT_URL
    task = queued(stored_task())

    def work(job: Transcription, task: Task) -> dict[str, Any]:
        store_down()
        job.on_segment(result(task, "half", partial=True))
        settings.S3_ENDPOINT_URL = endpoint
        return result(task, "whole", partial=False)

    Transcription(str(task.pk), task.file_path, work).run()

    task.refresh_from_db()
    assert (task.status, task.transcript_text) == (Status.COMPLETED, "whole")
    assert results_of(task) == [task.result_path]


@pytest.mark.parametrize(
    ("argument", "name"),
    [
        ("uploads/x.flac", "uploads/x.flac"),
        # Queued before jobs carried names: a path under STORAGE_ROOT.
        ("{root}/uploads/x.flac", "uploads/x.flac"),
        # ... under another host's STORAGE_ROOT: the task's own name.
        ("/elsewhere/uploads/x.flac", "uploads/{task}.flac"),
    ],
)
def test_a_job_takes_a_stored_name_or_a_path_from_before(
    stored_task: Any, argument: str, name: str
) -> None:
    task = stored_task()
    root = str(settings.STORAGE_ROOT)

    assert stored_name(str(task.pk), argument.format(root=root)) == name.format(task=task.pk)
