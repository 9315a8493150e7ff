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


class Trace:
    """WRITERS_TEST_TRACE=DIR: each process writes DIR/<gw0|gw1|main>.log, a line per test phase
    (time, phase, nodeid, the backend pid of the main thread's connection, whether it is inside
    a transaction and in autocommit) and after each teardown how many users its test database
    holds committed (read on a connection of its own). Read beside WRITERS_PG_LOG's statements,
    it names the test during which a test's rows were committed."""

    def __init__(self, directory: str) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.out = open(os.path.join(directory, f"{worker}.log"), "a", buffering=1)  # noqa: SIM115
        self.counter: Any = None

    def write(self, phase: str, nodeid: str, extra: str = "") -> None:
        import time

        from django.db import connection

        raw = connection.connection
        pid = raw.info.backend_pid if raw is not None and not raw.closed else None
        state = f"pid={pid} atomic={connection.in_atomic_block} auto={connection.autocommit}"
        self.out.write(f"{time.time():.3f} {phase} {nodeid} {state} {extra}\n")

    def users(self) -> str:
        import psycopg
        from django.db import connection

        if connection.vendor != "postgresql":
            return ""
        try:
            if self.counter is None or self.counter.closed:
                database = connection.settings_dict
                self.counter = psycopg.connect(
                    dbname=database["NAME"],
                    host=database["HOST"],
                    port=database["PORT"],
                    user=database["USER"],
                    autocommit=True,
                    application_name="trace",
                )
            (count,) = self.counter.execute("SELECT count(*) FROM accounts_user").fetchone()
            return f"users={count}"
        except Exception as error:
            return f"users=? ({error.__class__.__name__})"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item: Any) -> Any:
        self.write("setup<", item.nodeid)
        yield
        self.write("setup>", item.nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: Any) -> Any:
        yield
        self.write("call>", item.nodeid)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item: Any) -> Any:
        yield
        self.write("teardown>", item.nodeid, self.users())


def pytest_configure(config: Any) -> None:
    directory = os.environ.get("WRITERS_TEST_TRACE")
    if directory:
        config.pluginmanager.register(Trace(directory), "writers-trace")
