"""The Task admin: list, search, filters, detail with attempts and transcript, bulk actions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from tasks_app.models import Attempt, Status, Task

URL = "/admin/tasks_app/task/"


@pytest.fixture
def admin_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def test_it_lists_tasks_with_owner_duration_and_progress(
    admin_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, file=True, title="Speech", status=Status.PROCESSING, progress=40)
    response = admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Speech" in html and "alice@example.org" in html
    assert "0:11" in html and "40%" in html


@pytest.mark.parametrize("term", ["alice@example.org", "Speech"])
def test_it_searches_by_title_and_owner_email(
    term: str,
    admin_client: Client,
    alice: User,
    charlie: User,
    make_task: Callable[..., Task],
) -> None:
    make_task(alice, title="Speech")
    make_task(charlie, title="Other")
    html = admin_client.get(URL, {"q": term}).content.decode()
    assert "Speech" in html and "Other" not in html


def test_it_searches_by_id_and_survives_a_term_that_is_not_one(
    admin_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Speech")
    make_task(alice, title="Other")
    html = admin_client.get(URL, {"q": str(task.pk)}).content.decode()
    assert "Speech" in html and "Other" not in html
    assert admin_client.get(URL, {"q": "not-a-uuid"}).status_code == 200


@pytest.mark.parametrize("field", ["status", "kind", "owner"])
def test_it_filters(
    field: str,
    admin_client: Client,
    alice: User,
    charlie: User,
    make_task: Callable[..., Task],
) -> None:
    make_task(alice, file=True, title="Broken", status=Status.FAILED)
    make_task(alice, title="Todo")
    make_task(charlie, file=True, title="Theirs")
    query = {
        "status": {"status__exact": "FAILED"},
        "kind": {"kind__exact": "transcription", "user__id__exact": str(alice.pk)},
        "owner": {"user__id__exact": str(alice.pk), "status__exact": "FAILED"},
    }[field]
    html = admin_client.get(URL, query).content.decode()
    assert "Broken" in html
    assert "Todo" not in html and "Theirs" not in html


def test_it_shows_the_transcript_and_the_attempt_history(
    admin_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result, attempts=2)
    Attempt.objects.create(task=task, number=1, outcome="lost", error_code="WORKER_LOST")
    Attempt.objects.create(task=task, number=2, outcome="completed", worker="gpu0")
    html = admin_client.get(f"{URL}{task.pk}/change/").content.decode()
    assert "ask not what your country" in html
    assert "WORKER_LOST" in html and "gpu0" in html


def test_it_requeues_failed_and_stuck_transcriptions(
    admin_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    queues: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    failed = make_task(alice, file=True, status=Status.FAILED, attempts=1)
    stuck = make_task(alice, file=True, status=Status.PENDING)
    done = make_task(alice, file=True, status=Status.COMPLETED)
    ids = [str(task.pk) for task in (failed, stuck, done)]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(URL, {"action": "requeue", "_selected_action": ids})
    assert response.status_code == 302
    assert sorted(queues["media"].job_ids) == sorted([f"task-{failed.pk}-2", f"task-{stuck.pk}-1"])
    done.refresh_from_db()
    assert done.status == Status.COMPLETED


def test_it_cancels_in_bulk(
    admin_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    running = make_task(alice, file=True, status=Status.PROCESSING)
    done = make_task(alice, file=True, status=Status.COMPLETED)
    admin_client.post(
        URL, {"action": "cancel", "_selected_action": [str(running.pk), str(done.pk)]}
    )
    running.refresh_from_db()
    done.refresh_from_db()
    assert (running.status, done.status) == (Status.CANCELLED, Status.COMPLETED)


def test_it_purges_audio_but_keeps_the_transcript(
    admin_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, status=Status.COMPLETED, result=result)
    admin_client.post(URL, {"action": "purge_audio", "_selected_action": [str(task.pk)]})
    task.refresh_from_db()
    assert task.audio_purged_at is not None
    assert not (settings.STORAGE_ROOT / task.file_path).exists()
    assert (settings.STORAGE_ROOT / task.result_path).exists()
    assert task.transcript_text == result["text"]


def test_it_links_staff_to_the_queue_dashboard(admin_client: Client) -> None:
    html = admin_client.get("/admin/").content.decode()
    assert 'href="/admin/rq/"' in html
    assert admin_client.get("/admin/rq/").status_code == 200


def test_it_keeps_the_queue_dashboard_from_non_staff(alice: User) -> None:
    client = Client()
    client.force_login(alice)
    assert client.get("/admin/rq/").status_code == 302
