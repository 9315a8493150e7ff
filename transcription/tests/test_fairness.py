from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.utils import timezone
from rq import Queue

from accounts.models import User
from tasks_app.models import Kind, Status, Task
from transcription import fairness
from transcription.fairness import Service, Waiting, fair_job_ids, fair_order, reorder

ALICE, BOB, CHARLIE = 1, 2, 3


def keys(order: list[Waiting]) -> list[Any]:
    return [item.key for item in order]


def test_it_takes_turns_among_users_with_equal_standing() -> None:
    waiting = [Waiting(f"a{n}", ALICE, 30) for n in range(3)] + [
        Waiting("b0", BOB, 30),
        Waiting("b1", BOB, 30),
        Waiting("c0", CHARLIE, 30),
    ]

    assert keys(fair_order(waiting, {})) == ["a0", "b0", "c0", "a1", "b1", "a2"]


def test_it_serves_the_user_with_fewest_running_jobs_first() -> None:
    waiting = [Waiting(f"a{n}", ALICE, 180) for n in range(3)] + [Waiting("b0", BOB, 180)]

    order = fair_order(waiting, {ALICE: Service(running=2)})

    assert keys(order) == ["b0", "a0", "a1", "a2"]


def test_it_serves_the_user_served_least_recently_first_at_equal_running() -> None:
    now = timezone.now()
    waiting = [Waiting("a0", ALICE, 30), Waiting("b0", BOB, 30), Waiting("c0", CHARLIE, 30)]
    served = {
        ALICE: Service(1, now - timedelta(seconds=10)),
        BOB: Service(1, now - timedelta(seconds=60)),
        CHARLIE: Service(1, now),
    }

    assert keys(fair_order(waiting, served)) == ["b0", "a0", "c0"]


def test_it_serves_never_served_users_before_served_ones() -> None:
    waiting = [Waiting("a0", ALICE, 30), Waiting("b0", BOB, 30)]

    order = fair_order(waiting, {ALICE: Service(0, timezone.now() - timedelta(days=30))})

    assert keys(order) == ["b0", "a0"]


def test_it_prefers_the_shorter_job_when_waiting_is_equal() -> None:
    waiting = [Waiting("a0", ALICE, 180), Waiting("b0", BOB, 11), Waiting("c0", CHARLIE, None)]

    assert keys(fair_order(waiting, {})) == ["b0", "a0", "c0"]


def test_it_keeps_each_users_own_jobs_in_queued_order() -> None:
    # Alice's long job was queued first: her short one does not overtake it.
    waiting = [Waiting("a-long", ALICE, 600), Waiting("a-short", ALICE, 5)]

    assert keys(fair_order(waiting, {})) == ["a-long", "a-short"]


def test_it_keeps_jobs_of_no_known_owner_at_the_head() -> None:
    waiting = [Waiting("a0", ALICE, 30), Waiting("x", None, None), Waiting("y", None, 1)]

    assert keys(fair_order(waiting, {ALICE: Service(5)})) == ["x", "y", "a0"]


def task_of(user: User, **fields: Any) -> Task:
    fields.setdefault("duration_seconds", 11)
    fields.setdefault("status", Status.IN_PROGRESS)
    return Task.objects.create(
        user=user, title="t", kind=Kind.TRANSCRIPTION, file_path="uploads/x.flac", **fields
    )


def test_it_reads_owners_from_every_kind_of_job_id(
    alice: User, bob: User, django_assert_num_queries: Any
) -> None:
    alice_tasks = [task_of(alice) for _ in range(2)]
    bobs = task_of(bob)
    task_of(alice, status=Status.PROCESSING, started_at=timezone.now())
    gone = uuid.uuid4()
    job_ids = [
        f"task-{alice_tasks[0].pk}-1",
        f"task-{alice_tasks[1].pk}-video-1",
        f"task-{alice_tasks[0].pk}-piece-1-0",
        f"task-{bobs.pk}-piece-1-3",
        f"task-{bobs.pk}-speakers-0a1b2c3d4e5f",
        f"task-{gone}-1",
        "some-other-job",
    ]

    with django_assert_num_queries(2):
        order = fair_job_ids(job_ids)

    # Unknown ids first; then Bob (nothing running) before Alice (one running), in turns.
    assert order == [
        f"task-{gone}-1",
        "some-other-job",
        f"task-{bobs.pk}-piece-1-3",
        f"task-{alice_tasks[0].pk}-1",
        f"task-{bobs.pk}-speakers-0a1b2c3d4e5f",
        f"task-{alice_tasks[1].pk}-video-1",
        f"task-{alice_tasks[0].pk}-piece-1-0",
    ]


def test_it_reads_no_standing_for_one_users_jobs(
    alice: User, django_assert_num_queries: Any
) -> None:
    tasks = [task_of(alice, duration_seconds=seconds) for seconds in (180, 11, 60)]
    task_of(alice, status=Status.PROCESSING, started_at=timezone.now())
    job_ids = [f"task-{task.pk}-1" for task in tasks]

    with django_assert_num_queries(1):
        assert fair_job_ids(job_ids) == job_ids


def push_jobs(queue: Queue, tasks: list[Task]) -> list[str]:
    job_ids = [f"task-{task.pk}-1" for task in tasks]
    queue.connection.rpush(queue.key, *job_ids)
    return job_ids


def listed(queue: Queue) -> list[str]:
    return [job_id.decode() for job_id in queue.connection.lrange(queue.key, 0, -1)]


def test_it_reorders_a_queue_in_redis(alice: User, bob: User, queues: Any) -> None:
    queue = queues["media"]
    alices = push_jobs(queue, [task_of(alice, duration_seconds=180) for _ in range(3)])
    bobs = push_jobs(queue, [task_of(bob)])
    task_of(alice, status=Status.PROCESSING, started_at=timezone.now())

    assert reorder(queue)

    assert listed(queue) == [*bobs, *alices]
    assert not reorder(queue)


def test_it_loses_no_job_pushed_while_it_reorders(
    alice: User, bob: User, queues: Any, monkeypatch: Any
) -> None:
    queue = queues["media"]
    alices = push_jobs(queue, [task_of(alice) for _ in range(2)])
    bobs = push_jobs(queue, [task_of(bob)])
    task_of(alice, status=Status.PROCESSING, started_at=timezone.now())
    late = f"task-{task_of(alice).pk}-1"
    read = fairness.fair_job_ids
    calls = []

    def read_then_push(job_ids: list[str]) -> list[str]:
        # Another client (the pool's other connection: the reorder holds one for its WATCH)
        # enqueues between the list's read and its rewrite.
        calls.append(list(job_ids))
        if len(calls) == 1:
            queue.connection.rpush(queue.key, late)
        return read(job_ids)

    monkeypatch.setattr(fairness, "fair_job_ids", read_then_push)

    assert reorder(queue)

    assert len(calls) == 2 and late in calls[1]
    assert listed(queue) == [*bobs, *alices, late]


def test_it_looks_at_a_queue_of_one_job_in_one_round_trip(
    alice: User, bob: User, queues: Any
) -> None:
    # Most dequeues (every worker's, before each job) find one job or none.
    queue = queues["media"]
    job_ids = push_jobs(queue, [task_of(alice)])
    task_of(bob, status=Status.PROCESSING, started_at=timezone.now())

    def calls(command: str) -> int:
        return queue.connection.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0)

    before = {command: calls(command) for command in ("llen", "watch", "lrange")}
    assert not reorder(queue)

    assert {command: calls(command) - before[command] for command in before} == {
        "llen": 1,
        "watch": 0,
        "lrange": 0,
    }
    assert listed(queue) == job_ids


def test_it_leaves_the_order_when_off(alice: User, bob: User, queues: Any, settings: Any) -> None:
    settings.FAIR_QUEUES = False
    queue = queues["media"]
    job_ids = push_jobs(queue, [task_of(alice), task_of(alice), task_of(bob)])
    task_of(alice, status=Status.PROCESSING, started_at=timezone.now())

    assert not reorder(queue)

    assert listed(queue) == job_ids


def test_it_leaves_the_order_when_redis_is_down() -> None:
    down = redis.Redis(port=1, socket_connect_timeout=1)

    assert not reorder(Queue("media", connection=down))


@pytest.mark.django_db(transaction=True)
def test_it_leaves_the_order_when_the_database_is_down(
    alice: User, bob: User, queues: Any, settings: Any
) -> None:
    from django.db import connection

    queue = queues["media"]
    job_ids = push_jobs(queue, [task_of(alice), task_of(bob, duration_seconds=1)])
    connection.close()
    port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = 1
    try:
        assert not reorder(queue)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port

    assert listed(queue) == job_ids
