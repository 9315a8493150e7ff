"""Audio retention run by the integrations tick: per-task delete_after wins over the owner's
default; the transcript stays; active tasks and other users' audio are never touched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from tasks_app.integrations.events import tick
from tasks_app.integrations.retention import delete_after, purge_expired_audio, set_delete_after
from tasks_app.models import Kind, Status, Task


def with_audio(user: Any, status: str = Status.COMPLETED, finished_days_ago: float = 0) -> Task:
    task = Task(user=user, title="Interview", kind=Kind.TRANSCRIPTION, status=status)
    task.file_path = f"uploads/{task.id}.flac"
    (Path(settings.STORAGE_ROOT) / "uploads").mkdir(exist_ok=True)
    (Path(settings.STORAGE_ROOT) / task.file_path).write_bytes(b"fLaC")
    task.transcript_text = "ask not"
    task.save()
    when = timezone.now() - timedelta(days=finished_days_ago)
    completed_at = when if status == Status.COMPLETED else None
    Task.objects.filter(pk=task.pk).update(updated_at=when, completed_at=completed_at)
    task.refresh_from_db()
    return task


def audio_kept(task: Task) -> bool:
    task.refresh_from_db()
    kept = (Path(settings.STORAGE_ROOT) / task.file_path).exists()
    assert kept == (task.audio_purged_at is None)
    return kept


def test_it_keeps_audio_without_a_retention(alice: Any) -> None:
    task = with_audio(alice, finished_days_ago=400)
    assert purge_expired_audio() == 0
    assert audio_kept(task)
    assert delete_after(task) is None


def test_it_deletes_audio_after_the_owners_default(alice: Any, bob: Any) -> None:
    alice.audio_retention_days = 7
    alice.save()
    old = with_audio(alice, finished_days_ago=8)
    failed = with_audio(alice, Status.FAILED, finished_days_ago=8)
    recent = with_audio(alice, finished_days_ago=6)
    running = with_audio(alice, Status.PROCESSING, finished_days_ago=30)
    bobs = with_audio(bob, finished_days_ago=30)
    assert tick().purged == 2
    assert not audio_kept(old) and not audio_kept(failed)
    assert audio_kept(recent) and audio_kept(running) and audio_kept(bobs)
    assert old.transcript_text == "ask not"
    assert delete_after(recent) == recent.completed_at + timedelta(days=7)


def test_deleting_old_audio_does_not_make_old_tasks_news(alice: Any) -> None:
    alice.audio_retention_days = 7
    alice.save()
    with_audio(alice, Status.FAILED, finished_days_ago=30)
    with_audio(alice, finished_days_ago=30)
    assert tick().purged == 2
    assert tick().events == 0


def test_a_tasks_own_delete_after_wins(alice: Any) -> None:
    alice.audio_retention_days = 1
    alice.save()
    keep_longer = with_audio(alice, finished_days_ago=5)
    set_delete_after(keep_longer, timezone.now() + timedelta(days=30))
    sooner = with_audio(alice)
    set_delete_after(sooner, timezone.now() - timedelta(minutes=1))
    assert purge_expired_audio() == 1
    assert audio_kept(keep_longer) and not audio_kept(sooner)
    set_delete_after(keep_longer, None)
    assert purge_expired_audio() == 1
    assert not audio_kept(keep_longer)


def test_it_sets_a_tasks_delete_after_through_the_api(alice: Any, charlie: Any) -> None:
    task = with_audio(alice)
    url = f"/api/v1/tasks/{task.pk}/retention"
    client = APIClient()
    client.credentials(**bearer(issue_tokens(alice)[0]))
    assert client.get(url).json() == {"delete_after": None}
    response = client.put(url, {"delete_after": "2030-01-01T00:00:00Z"}, format="json")
    assert response.json() == {"delete_after": "2030-01-01T00:00:00Z"}
    assert client.put(url, {"delete_after": None}, format="json").json() == {"delete_after": None}

    stranger = APIClient()
    stranger.credentials(**bearer(issue_tokens(charlie)[0]))
    assert stranger.put(url, {"delete_after": None}, format="json").status_code == 404
    assert stranger.get(f"/api/v1/tasks/{task.pk}x/retention").status_code == 404
