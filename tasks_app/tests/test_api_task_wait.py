"""GET /api/v1/tasks/{id}?wait=N: the answer comes when the task's status changes (or after N
seconds, as the task is then), the wait holding no thread of the web."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

import pytest
from django.utils import timezone

from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task
from tasks_app.openai.tests.test_openai_wait import threads_inside_the_wait
from transcription import worker

WAITING = 4


def detail(api_client: Any, task: Task, wait: str) -> Any:
    return api_client.get(f"/api/v1/tasks/{task.pk}", {"wait": wait})


def get_json(url: str, token: str, timeout: float = 90) -> tuple[int, dict[str, Any]]:
    request = Request(url, headers={"Authorization": f"Bearer {token}"})
    with urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


@pytest.mark.django_db
def test_it_answers_the_current_state_after_the_wait(api: Any, alice: Any, make_task: Any) -> None:
    task = make_task(alice, status=Status.PENDING)
    started = time.monotonic()
    response = detail(api(alice), task, "1")
    # Through the sync test client (WSGI) the same view runs, blocking for the wait.
    assert time.monotonic() - started >= 1
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (str(task.pk), "PENDING")


@pytest.mark.django_db
def test_it_answers_a_finished_task_at_once(api: Any, alice: Any, make_task: Any) -> None:
    # Nothing is left to happen to it: waiting would only delay a script's loop.
    task = make_task(alice, status=Status.COMPLETED)
    started = time.monotonic()
    response = detail(api(alice), task, "60")
    assert time.monotonic() - started < 30
    assert (response.status_code, response.json()["status"]) == (200, "COMPLETED")


@pytest.mark.django_db
@pytest.mark.parametrize("wait", ["0", "-1", "61", "nan", "soon"])
def test_it_refuses_a_wait_out_of_range(api: Any, alice: Any, make_task: Any, wait: str) -> None:
    task = make_task(alice, status=Status.PENDING)
    response = detail(api(alice), task, wait)
    assert response.status_code == 400
    assert response.json()["wait"]
    assert response.json()["detail"] == "Invalid input."


@pytest.mark.django_db
def test_it_hides_the_task_from_a_stranger_as_the_detail_does(
    api: Any, alice: Any, charlie: Any, make_task: Any
) -> None:
    task = make_task(alice, status=Status.PENDING)
    plain = api(charlie).get(f"/api/v1/tasks/{task.pk}")
    waited = detail(api(charlie), task, "5")
    assert (waited.status_code, waited.json()) == (404, plain.json())
    assert detail(api(None), task, "5").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_it_answers_when_a_real_worker_finishes_and_holds_no_thread_meanwhile(
    asgi_server: str, alice: Any, jfk_flac: Path, queues: Any
) -> None:
    token = issue_tokens(alice)[0]
    body = (
        b'--w\r\nContent-Disposition: form-data; name="title"\r\n\r\nJFK\r\n'
        b'--w\r\nContent-Disposition: form-data; name="file"; filename="jfk.flac"\r\n'
        b"Content-Type: audio/flac\r\n\r\n" + jfk_flac.read_bytes() + b"\r\n--w--\r\n"
    )
    created = Request(
        f"{asgi_server}/api/v1/tasks",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=w",
        },
    )
    with urlopen(created, timeout=60) as response:
        task_id = json.loads(response.read())["id"]
    url = f"{asgi_server}/api/v1/tasks/{task_id}?wait=60"
    while Task.objects.get(pk=task_id).status == Status.PENDING:
        time.sleep(0.05)  # until the job is on the queue (enqueued on commit)

    # Several scripts wait for the queued task; the web still answers others meanwhile.
    answers: list[tuple[float, str]] = []

    def wait_once() -> None:
        status, data = get_json(url, token)
        answers.append((time.monotonic(), data["status"]))

    waiters = [threading.Thread(target=wait_once) for _ in range(WAITING)]
    for waiter in waiters:
        waiter.start()
    time.sleep(1)
    assert (
        get_json(f"{asgi_server}/api/v1/tasks/{task_id}", token, 10)[1]["status"] == "IN_PROGRESS"
    )
    with urlopen(f"{asgi_server}/health", timeout=10) as health:
        assert health.status == 200
    assert threads_inside_the_wait() == []
    assert answers == []

    # A script that loops on ?wait= sees each change, the last one COMPLETED, long before the
    # 60 seconds it allowed each time.
    thread = threading.Thread(target=lambda: worker.work(burst=True), daemon=True)
    thread.start()
    seen: list[str] = []
    while not seen or seen[-1] not in ("COMPLETED", "FAILED", "CANCELLED"):
        before = time.monotonic()
        seen.append(get_json(url, token)[1]["status"])
        assert time.monotonic() - before < 55, seen
    answered = timezone.now()
    thread.join(120)
    for waiter in waiters:
        waiter.join(60)
    assert seen[-1] == "COMPLETED"
    assert len(answers) == WAITING and all(status != "IN_PROGRESS" for _, status in answers)
    completed_at = Task.objects.get(pk=task_id).completed_at
    # Within a poll (50 ms) and a request of the worker's write; generous for a loaded machine.
    assert (answered - completed_at).total_seconds() < 2


def test_it_keeps_the_plain_detail_sync_and_waits_on_the_loop_only_when_asked() -> None:
    """A script polling the detail pays no trip through an event loop; only `?wait=` takes the
    async chain, where the route's view is its `on_the_loop` twin (writers/asgi.py)."""
    import inspect
    import uuid

    from django.test import RequestFactory
    from django.urls import resolve

    from writers.asgi import WaitingHandler, waits_on_the_loop

    path = f"/api/v1/tasks/{uuid.uuid4()}"
    plain = resolve(path).func
    assert not inspect.iscoroutinefunction(plain)
    request = RequestFactory().get(path, {"wait": "5"})
    assert inspect.iscoroutinefunction(WaitingHandler().resolve_request(request).func)
    assert waits_on_the_loop({"path": path, "query_string": b"wait=5"})
    assert not waits_on_the_loop({"path": path, "query_string": b""})


def wait_in_a_thread(task: Task, seconds: float) -> tuple[threading.Thread, list[Any]]:
    """`wait_for_status` for any change from the task's status now, in a thread of its own;
    the list gets (when it answered, the status)."""
    from asgiref.sync import async_to_sync

    from tasks_app import waiting

    arrived = task.status
    seen: list[Any] = []

    def wait() -> None:
        status = async_to_sync(waiting.wait_for_status)(
            task.pk, seconds, lambda status: status != arrived
        )
        seen.append((time.monotonic(), status))

    waiter = threading.Thread(target=wait)
    waiter.start()
    return waiter, seen


def a_worker_completes(task: Task) -> Callable[[], bool]:
    """The worker's claim now; its completion when called."""
    from transcription.attempts import Claim

    claim = Claim.take(task.pk, "worker", "cpu")
    assert claim is not None
    result = {"duration": 11.0, "text": "And so", "language": "en", "language_probability": 1.0}
    return lambda: claim.complete(result, "results/x.json")


def its_owner_cancels(task: Task) -> Callable[[], bool]:
    from tasks_app import services

    return lambda: services.cancel_task(task)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("change", "after"),
    [(a_worker_completes, Status.COMPLETED), (its_owner_cancels, Status.CANCELLED)],
)
def test_a_status_transition_wakes_the_wait_before_its_next_poll(
    alice: Any,
    make_task: Any,
    queues: Any,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[Task], Callable[[], bool]],
    after: str,
) -> None:
    from tasks_app import waiting

    # Only the announcement (Redis pub/sub) of the transition can end this wait in time.
    monkeypatch.setattr(waiting, "POLL_SECONDS", 30)
    monkeypatch.setattr(waiting, "SUBSCRIBED_POLL_SECONDS", 30)
    task = make_task(alice, status=Status.IN_PROGRESS)
    make_the_change = change(task)
    task.refresh_from_db()
    waiter, seen = wait_in_a_thread(task, 20)
    time.sleep(1)  # it looked once, and subscribed

    assert make_the_change()
    changed = time.monotonic()
    waiter.join(30)

    assert seen and seen[0][1] == after
    assert seen[0][0] - changed < 5


@pytest.mark.django_db(transaction=True)
def test_it_looks_at_the_database_about_once_a_second_while_subscribed(
    alice: Any, make_task: Any, queues: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_app import waiting

    looks: list[float] = []
    real = waiting.task_statuses
    monkeypatch.setattr(waiting, "task_statuses", lambda ids: (looks.append(1), real(ids))[1])
    task = make_task(alice, status=Status.IN_PROGRESS)

    waiter, seen = wait_in_a_thread(task, 3)
    waiter.join(30)

    assert seen and seen[0][1] == Status.IN_PROGRESS
    # The first look, one when the subscription was confirmed, about one a second after: not
    # the 60 of a look every POLL_SECONDS, which a worker's announcement makes needless.
    assert 2 <= len(looks) <= 6


@pytest.mark.django_db(transaction=True)
def test_it_looks_every_poll_interval_while_redis_is_away(
    alice: Any, make_task: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tasks_app import waiting

    # No announcement can arrive: the wait falls back to looking every POLL_SECONDS.
    queues = {
        name: {**queue, "URL": "redis://127.0.0.1:9/0"}
        for name, queue in settings.RQ_QUEUES.items()
    }
    settings.RQ_QUEUES = queues
    task = make_task(alice, status=Status.IN_PROGRESS)
    waiter, seen = wait_in_a_thread(task, 20)
    time.sleep(1)

    # A write no announcement follows (the status transitions announce; this does not).
    Task.objects.filter(pk=task.pk).update(status=Status.CANCELLED)
    changed = time.monotonic()
    waiter.join(30)

    assert seen and seen[0][1] == Status.CANCELLED
    assert seen[0][0] - changed < waiting.SUBSCRIBED_POLL_SECONDS
