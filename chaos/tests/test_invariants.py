"""The chaos checks themselves: each counter catches what it names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from chaos.harness import file_task
from chaos.invariants import Outcome, check
from tasks_app.models import Status, Task

pytestmark = pytest.mark.django_db(transaction=True)


def complete(task: Task, text: str = "done") -> None:
    path = f"results/{task.pk}_transcription.json"
    (Path(settings.STORAGE_ROOT) / "results").mkdir(exist_ok=True)
    result = {"task_id": str(task.pk), "partial": False, "text": text}
    (Path(settings.STORAGE_ROOT) / path).write_text(json.dumps(result))
    Task.objects.filter(pk=task.pk).update(
        status=Status.COMPLETED, result_path=path, transcript_text=text, completed_at=timezone.now()
    )


def test_it_passes_a_task_completed_once(owner: Any) -> None:
    task = file_task(owner)
    complete(task)

    outcome = check(Outcome("clean", 1), {task.pk: Status.COMPLETED})

    assert outcome.ok, outcome.problems


def test_it_counts_a_second_completion_and_the_overwrite(owner: Any) -> None:
    task = file_task(owner)
    complete(task)
    Task.objects.filter(pk=task.pk).update(status=Status.PROCESSING)
    complete(task, "again")

    outcome = check(Outcome("twice", 1), {task.pk: Status.COMPLETED})

    assert (outcome.dup, outcome.overwritten) == (1, 1)


def test_it_counts_stuck_lost_and_orphans(owner: Any) -> None:
    stuck, failed, no_file = file_task(owner), file_task(owner), file_task(owner)
    Task.objects.filter(pk=failed.pk).update(status=Status.FAILED)
    Task.objects.filter(pk=no_file.pk).update(status=Status.COMPLETED, result_path="results/x")
    (Path(settings.STORAGE_ROOT) / "uploads" / "stray.flac").write_bytes(b"x")
    (Path(settings.STORAGE_ROOT) / "uploads" / f".{stuck.pk}.tmp").write_bytes(b"x")

    expected = dict.fromkeys([stuck.pk, failed.pk, no_file.pk], Status.COMPLETED)
    outcome = check(Outcome("bad", 3), expected)

    assert (outcome.stuck, outcome.lost, outcome.orphans) == (1, 2, 2)
