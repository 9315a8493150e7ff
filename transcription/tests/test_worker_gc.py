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
