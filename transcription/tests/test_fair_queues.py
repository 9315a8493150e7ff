"""Fair queues with real workers: one user's backlog does not hold another user's clip back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task
from transcription import worker
from transcription.models import WorkerProcess
from transcription.services import enqueue_task
from transcription.tests.conftest import looped_jfk, wait_for

# The real supervisor and its worker processes, as test_transcription_worker starts them.
from transcription.tests.test_transcription_worker import start_worker  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 2


@pytest.mark.parametrize(("fair", "first"), [(True, "bob"), (False, "alice")])
def test_it_hands_a_free_worker_the_fair_job(
    owner: User, bob: User, queues: Any, settings: Any, fair: bool, first: str
) -> None:
    settings.FAIR_QUEUES = fair
    Task.objects.create(
        user=owner, title="running", status=Status.PROCESSING, started_at=timezone.now()
    )
    waiting = [(owner, 180)] * 3 + [(bob, 11)]
    for user, seconds in waiting:
        task = Task.objects.create(
            user=user, title=user.username, status=Status.IN_PROGRESS, duration_seconds=seconds
        )
        queues["media"].enqueue(
            "transcription.jobs.transcribe_audio", task_id=str(task.pk), job_id=f"task-{task.pk}-1"
        )
    rq_worker = worker.make_worker(["media"])

    job, _queue = rq_worker.dequeue_job_and_maintain_ttl(timeout=1)

    assert Task.objects.get(pk=job.kwargs["task_id"]).user.username == first


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)[0]}")
    return client


@pytest.mark.slow
def test_it_starts_another_users_clip_as_soon_as_a_worker_frees_up(
    owner: User, bob: User, file_task: Any, request: Any, jfk_flac: Path, tmp_path: Path
) -> None:
    start = request.getfixturevalue("start_worker")
    start("--concurrency", str(WORKERS), MODEL_CPU_THREADS="1")
    wait_for(lambda: WorkerProcess.objects.alive().count() == WORKERS, timeout=120)
    # Alice's first two recordings keep both workers busy for seconds (jfk three times over),
    # long enough for Bob's upload and a look at its place; her other eight are short.
    long = looped_jfk(tmp_path, 3)
    backlog = [file_task(long, duration_seconds=33) for _ in range(WORKERS)]
    backlog += [file_task(jfk_flac, duration_seconds=11) for _ in range(10 - WORKERS)]
    for task in backlog:
        enqueue_task(task.pk)
    wait_for(lambda: Task.objects.filter(status=Status.PROCESSING).count() == WORKERS, step=0.01)

    client = client_for(bob)
    with jfk_flac.open("rb") as audio:
        created = client.post("/api/v1/tasks", {"title": "clip", "file": audio}, format="multipart")
    assert created.status_code == 202, created.content
    shown = client.get(f"/api/v1/tasks/{created.json()['id']}").json()

    assert (shown["status"], shown["queue_position"]) == ("IN_PROGRESS", 1)
    wait_for(
        lambda: (
            Task.objects.filter(kind=Kind.TRANSCRIPTION, status=Status.COMPLETED).count()
            == len(backlog) + 1
        ),
        timeout=240,
        step=0.5,
    )
    clip = Task.objects.get(pk=created.json()["id"])
    waited = Task.objects.filter(user=owner, started_at__gt=clip.queued_at)
    overtook = waited.filter(started_at__lt=clip.started_at)
    # Both workers were on Alice's long recordings when the clip came: her eight short ones were
    # still waiting, and first in, first out would have run every one of them before it.
    assert waited.count() == 10 - WORKERS
    assert not overtook.exists(), list(overtook.values_list("started_at", flat=True))
