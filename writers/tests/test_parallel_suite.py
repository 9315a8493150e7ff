"""make test's two pytest processes (pytest-xdist, scripts/pytest_workers.py) keep their queues
apart: each process's Django reads Redis databases of its own, so one's workers never take the
other's jobs. A process that ran a browser test still keeps every later test's rows inside that
test's transaction, and a test whose writes escape it fails, by name (conftest.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, connections

from accounts.models import User
from conftest import check_in_transaction

ROOT = Path(settings.BASE_DIR)

RECORD = """
import json, os
from django.conf import settings

def test_record():
    out = os.path.join(os.environ["RECORD_DIR"], os.environ["PYTEST_XDIST_WORKER"] + ".json")
    with open(out, "w") as handle:
        json.dump({"cache": settings.CACHES["default"]["LOCATION"],
                   "queue": settings.RQ_QUEUES["media"]["URL"]}, handle)
"""


def test_it_gives_each_test_process_its_own_redis_databases(tmp_path: Path) -> None:
    (tmp_path / "test_record.py").write_text(RECORD)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "RECORD_DIR": str(tmp_path),
        "STORAGE_ROOT": str(tmp_path / "storage"),
        "REDIS_URL": "redis://127.0.0.1:1",
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(tmp_path),
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "each",
            str(tmp_path / "test_record.py"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    found = {path.stem: json.loads(path.read_text()) for path in tmp_path.glob("gw*.json")}
    assert found == {
        "gw0": {"cache": "redis://127.0.0.1:1/1", "queue": "redis://127.0.0.1:1/2"},
        "gw1": {"cache": "redis://127.0.0.1:1/3", "queue": "redis://127.0.0.1:1/4"},
    }


@pytest.fixture(scope="module")
def browser_loop() -> Iterator[None]:
    """What an earlier browser test leaves in the process: Playwright's sync API keeps its event
    loop marked as running in the main thread between its calls. Module-scoped, it is set up
    before the test's own fixtures, as the session's browser is; and as e2e/conftest.py does,
    Django's guard against the ORM under a running loop is off."""
    loop = asyncio.new_event_loop()
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # The process's real browser, if an e2e test started it, needs its own mark back after.
    browsers = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(loop)
    yield
    asyncio.events._set_running_loop(browsers)
    loop.close()
    if saved is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.mark.django_db
def test_it_keeps_a_marked_tests_rows_in_its_transaction_after_a_browser_test(
    browser_loop: None, alice: User
) -> None:
    assert connection.in_atomic_block
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM accounts_user WHERE username = 'alice'")
            assert cursor.fetchone() == (0,)
    finally:
        other.close()


def test_the_guard_fails_a_test_that_writes_outside_its_transaction(
    db: None, request: pytest.FixtureRequest
) -> None:
    ours = connections["default"]
    # A connection of its own for this thread, as the asyncio context's one was: autocommit.
    connections["default"] = connections.create_connection("default")
    try:
        with pytest.raises(pytest.fail.Exception, match="its body ran outside the test's trans"):
            check_in_transaction(request.node, "its body")
    finally:
        connections["default"].close()
        connections["default"] = ours
    check_in_transaction(request.node, "its body")
