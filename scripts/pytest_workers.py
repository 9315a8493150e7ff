"""A pytest plugin (loaded with `-p scripts.pytest_workers` by pyproject's addopts) that lets
`make test` run the suite in two pytest-xdist processes on one PostgreSQL, Redis and object store
(scripts/services.py): the suite is mostly one busy thread, so a second process uses the second
core and halves the wall time.

What the processes would otherwise share, each gets its own: pytest-django already gives each a
test database (`test_writers_gw0`…), tests give every STORAGE_ROOT and object key prefix a name
of their own, and this gives each process its own pair of Redis databases (queues and cache)
before Django reads its settings, so one process's workers never take the other's jobs and a
test that empties its queues empties only its own. Subprocesses (workers, the web) inherit them.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

# Redis has 16 databases; 0 is left alone, the first process keeps the defaults (cache 1, queue 2).
MAX_WORKERS = 7


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return
    number = int(worker[2:])
    if number >= MAX_WORKERS:
        raise pytest.UsageError(f"at most {MAX_WORKERS} test processes share one Redis")
    os.environ["REDIS_CACHE_DB"] = str(1 + 2 * number)
    os.environ["REDIS_QUEUE_DB"] = str(2 + 2 * number)
