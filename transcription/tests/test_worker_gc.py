"""A worker process freezes what it holds for its whole life (Django, the engine, the model)
before its first job, so the full gc.collect() faster-whisper runs on every decode skips it:
about 0.1 s of fixed cost per task (issue 18, bench/RESULTS.md "Fixed cost per task")."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from transcription import worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    # The test process goes on to other tests: its objects go back to the collector.
    gc.unfreeze()


def test_it_freezes_the_start_up_objects_before_the_first_job(
    queues: dict[str, Any], unfrozen: None
) -> None:
    # pytest runs this in the main thread, as a worker process runs `work`.
    worker.work(burst=True)
    assert gc.get_freeze_count() > 0


# What a first job leaves for the life of the process (imports, caches, a warmed tokenizer).
LASTING: list[list[int]] = []


def job_that_warms_up() -> int:
    """A job: leaves 1000 objects behind; returns the freeze count it started with."""
    LASTING.extend([n] for n in range(1000))
    return gc.get_freeze_count()


def test_it_freezes_what_its_first_job_left_before_the_next(
    queues: dict[str, Any], unfrozen: None
) -> None:
    first = queues["default"].enqueue(job_that_warms_up)
    second = queues["default"].enqueue(job_that_warms_up)

    worker.work(queues=("default",), burst=True)

    # The second job's decode (gc.collect()) no longer walks what the first left.
    assert second.return_value(refresh=True) >= first.return_value(refresh=True) + 1000
    # Once: what later jobs leave goes to the collector as usual (frozen objects that die
    # leave the count, none joins it).
    assert gc.get_freeze_count() <= second.return_value(refresh=True)
