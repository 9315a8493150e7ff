"""The queue schedule behind the ETAs, shared by the web processes through the cache (Redis):
one works it out and publishes it, the others take it. A process is played here by forgetting
this process's own schedule (`another_process`) and leaving the published one."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.cache import cache
from redis.exceptions import RedisError

from tasks_app.models import Task
from transcription import services
from transcription.services import Eta
from transcription.tests.conftest import waiting_task


@pytest.fixture
def waiting(alice: Any) -> Task:
    return waiting_task(alice)


def another_process() -> None:
    """This process as a web process that has no schedule of its own yet."""
    with services._schedule_lock:
        services._schedule = (float("-inf"), {})


def publish(task: Task, position: int, seconds_ago: float = 0) -> None:
    """A schedule as another process would publish it, placing `task` at `position`."""
    at = time.time() - seconds_ago
    schedule = services.Schedule.of({task.pk: Eta(position, None, None)})
    cache.set(services.SHARED_SCHEDULE_KEY, (at, schedule))
    cache.set(services.SHARED_STAMP_KEY, at)


def position(task: Task) -> int | None:
    return services.eta_for_tasks([task])[task.pk].queue_position


def test_it_takes_the_schedule_another_process_worked_out_without_reading_the_queue(
    waiting: Task, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    assert position(waiting) == 1  # worked out here, and published
    another_process()
    with django_assert_num_queries(0):
        assert position(waiting) == 1


def test_it_answers_from_the_published_schedule(waiting: Task, settings: Any) -> None:
    settings.ETA_CACHE_SECONDS = 60
    publish(waiting, 7)
    assert position(waiting) == 7


def test_it_works_the_schedule_out_when_the_published_one_cannot_be_read(
    waiting: Task, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    # As a web process of another version might have published it, during an upgrade.
    cache.set(services.SHARED_SCHEDULE_KEY, {"schedule": "in another shape"})
    cache.set(services.SHARED_STAMP_KEY, time.time())
    assert position(waiting) == 1


def test_it_works_the_schedule_out_again_when_the_published_one_is_old(
    waiting: Task, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 5
    publish(waiting, 7, seconds_ago=6)
    assert position(waiting) == 1
    # And publishes its own for the others.
    another_process()
    assert position(waiting) == 1
    assert cache.get(services.SHARED_STAMP_KEY) > time.time() - 5


def test_it_works_the_schedule_out_when_the_published_one_lacks_a_task(
    waiting: Task, alice: Any, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    publish(waiting, 7)
    uploaded = waiting_task(alice, "just uploaded")
    etas = services.eta_for_tasks([waiting, uploaded])
    assert (etas[waiting.pk].queue_position, etas[uploaded.pk].queue_position) == (1, 2)


def test_a_thread_behind_the_requests_waits_for_the_schedule_another_process_is_working_out(
    waiting: Task, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    assert cache.add(services.SHARED_LOCK_KEY, "another process")
    later = threading.Timer(0.2, publish, (waiting, 7))
    later.start()
    try:
        with django_assert_num_queries(0):
            _at, schedule = services._next_schedule(None)
    finally:
        later.join()
    assert schedule[waiting.pk].queue_position == 7


def test_it_works_the_schedule_out_itself_when_the_other_process_never_publishes(
    waiting: Task, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    monkeypatch.setattr(services, "SHARED_WAIT_SECONDS", 0.2)
    assert cache.add(services.SHARED_LOCK_KEY, "a process that died working it out")
    _at, schedule = services._next_schedule(None)
    assert schedule[waiting.pk].queue_position == 1


def test_one_process_at_a_time_works_it_out_and_lets_the_next_one_go(
    waiting: Task, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    _at, schedule = services._next_schedule(None)
    assert schedule[waiting.pk].queue_position == 1
    assert cache.get(services.SHARED_LOCK_KEY) is None
    at, published = cache.get(services.SHARED_SCHEDULE_KEY)
    assert published == schedule and at == cache.get(services.SHARED_STAMP_KEY)


def test_each_process_works_out_its_own_while_the_cache_is_down(
    waiting: Task, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    settings.CACHES = {
        "default": {
            "BACKEND": "writers.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with pytest.raises(RedisError):
        cache.get(services.SHARED_STAMP_KEY)
    assert position(waiting) == 1
    another_process()
    assert services._next_schedule(None)[1][waiting.pk].queue_position == 1


def test_a_request_does_not_wait_for_the_thread_waiting_for_another_process(
    waiting: Task, alice: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    assert position(waiting) == 1
    monkeypatch.setattr(services, "SHARED_WAIT_SECONDS", 30)
    assert cache.add(services.SHARED_LOCK_KEY, "another process")
    services._refresh_behind()
    refreshing = next(t for t in threading.enumerate() if t.name == "eta-schedule")
    try:
        uploaded = waiting_task(alice, "just uploaded")
        assert position(uploaded) == 2
        assert refreshing.is_alive()  # answered while the thread still waits
    finally:
        publish(waiting, 7)  # what the thread waits for: it takes it and ends
        refreshing.join(10)
    assert not refreshing.is_alive()


def test_it_publishes_the_schedule_as_plain_values(waiting: Task, settings: Any) -> None:
    # Each web process unpickles it every ETA_CACHE_SECONDS: as UUID and Eta objects, most of
    # 14 ms of CPU for a queue of 1 000, holding the GIL.
    import pickle

    settings.ETA_CACHE_SECONDS = 60
    _at, schedule = services._next_schedule(None)
    _at, published = cache.get(services.SHARED_SCHEDULE_KEY)
    assert published == schedule
    assert published[waiting.pk] == Eta(1, None, None)
    pickled = pickle.dumps(published, protocol=pickle.HIGHEST_PROTOCOL)
    assert b"UUID" not in pickled and b"Eta" not in pickled


def test_it_reads_a_schedule_published_as_objects_by_an_older_version(
    waiting: Task, settings: Any
) -> None:
    settings.ETA_CACHE_SECONDS = 60
    at = time.time()
    cache.set(services.SHARED_SCHEDULE_KEY, (at, {waiting.pk: Eta(4, None, None)}))
    cache.set(services.SHARED_STAMP_KEY, at)
    assert position(waiting) == 4
