"""The chaos scenarios in their short form (`make chaos` runs the full sizes)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from chaos import scenarios

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.chaos]


def report(outcome: Any) -> None:
    print(outcome.line())
    assert outcome.ok, outcome.problems


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_completes_every_task_once_while_workers_are_killed(
    make_harness: Any, owner: Any
) -> None:
    outcome = scenarios.kill_workers(
        make_harness, owner, tasks=24, kills=3, sigterms=1, seconds=0.6, timeout=120
    )

    report(outcome)
    assert outcome.kills == 4


def test_it_leaves_no_temporary_file_when_workers_are_killed_mid_write(
    make_harness: Any, owner: Any
) -> None:
    outcome = scenarios.kill_in_write_window(make_harness, owner, tasks=6, kills=2, timeout=120)

    report(outcome)
    assert outcome.kills == outcome.notes["in_window"] == 2
    assert outcome.orphans == 0


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_rejects_the_late_writes_of_a_frozen_worker(make_harness: Any, owner: Any) -> None:
    outcome = scenarios.freeze_worker(make_harness, owner, tasks=3, seconds=3.0)

    report(outcome)
    assert outcome.notes["resumed_worker_alive"] == 1


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_runs_uploads_accepted_while_redis_was_down(make_harness: Any, owner: Any) -> None:
    outcome = scenarios.upload_while_redis_down(make_harness, owner, uploads=2)

    report(outcome)
    assert outcome.notes["accepted_pending"] == 2


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_fails_a_poison_file_after_max_attempts_and_spares_the_rest(
    make_harness: Any, owner: Any, tmp_path: Path
) -> None:
    outcome = scenarios.poison_file(make_harness, owner, tmp_path, healthy=4)

    report(outcome)
    assert outcome.kills == scenarios.MAX_ATTEMPTS


@pytest.mark.slow  # tens of seconds of real processes: make test-slow
def test_it_loses_no_upload_when_redis_is_killed_or_wiped_under_load(
    make_harness: Any, owner: Any
) -> None:
    outcome = scenarios.redis_faults_under_uploads(make_harness, owner, uploads=9, seconds=0.3)

    report(outcome)
    assert outcome.kills == 2


@pytest.mark.slow  # the object store takes 15 s to start again: make test-slow
def test_it_loses_no_upload_when_the_object_store_is_killed_under_load(
    make_harness: Any, owner: Any, object_store: Any
) -> None:
    outcome = scenarios.object_store_restart(
        make_harness, owner, object_store, before=4, after=2, faults=[signal.SIGKILL]
    )

    report(outcome)
    assert outcome.kills == 1
    assert outcome.notes["refused"] > 0
