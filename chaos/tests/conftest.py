"""The chaos suite's short form: each test runs one scenario with small counts against the test
database, a Redis of its own and real worker and sweeper processes."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from accounts.models import User
from chaos.harness import Harness
from chaos.invariants import install_status_log, uninstall_status_log
from conftest import make_user
from scripts.services import ObjectStoreServer, RedisServer
from transcription.tests.conftest import subprocess_env


@pytest.fixture
def redis(tmp_path: Path, settings: Any) -> Iterator[RedisServer]:
    """A Redis of this test's own, which the queues use and a scenario may stop."""
    server = RedisServer(tmp_path / "redis").start()
    settings.RQ_QUEUES = {
        name: {**config, "URL": f"{server.url}/{settings.REDIS_QUEUE_DB}"}
        for name, config in settings.RQ_QUEUES.items()
    }
    yield server
    server.stop()


@pytest.fixture
def object_store(tmp_path: Path) -> Iterator[ObjectStoreServer]:
    """An object store of this test's own, which a scenario may stop and start again (the
    scenario switches to it, STORAGE_BACKEND=s3, under a prefix of its own)."""
    server = ObjectStoreServer(tmp_path / "s3").start()
    yield server
    # A graceful stop takes 25 s and the data goes with tmp_path anyway.
    server.stop(signal.SIGKILL)


@pytest.fixture
def owner(transactional_db: Any) -> Iterator[User]:
    install_status_log()
    yield make_user(name="alice")
    uninstall_status_log()


@pytest.fixture
def make_harness(redis: RedisServer, tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    log = tmp_path / "processes.log"

    def make(**kwargs: Any) -> Harness:
        return Harness(base_env=subprocess_env(), redis=redis, log=log, **kwargs)

    yield make
    # What the workers and the sweeper said, shown by pytest when a test fails.
    sys.stdout.write(log.read_text() if log.exists() else "")
