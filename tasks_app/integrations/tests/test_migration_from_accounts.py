"""A database made by `main` before the integrations left accounts migrates in place, rows kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

FIXTURE = Path(__file__).with_name("migration_fixture.py")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    server = settings.DATABASES["default"]
    if "postgresql" not in server["ENGINE"]:
        pytest.fail("the PostgreSQL half needs DATABASE_URL (make test starts a server)")
    name = f"old_main_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=server["HOST"], port=server["PORT"], user=server["USER"],
        password=server["PASSWORD"], dbname="postgres", autocommit=True,
    )  # fmt: skip
    admin.execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: (admin.execute(f'DROP DATABASE "{name}"'), admin.close()))
    password = f":{server['PASSWORD']}" if server["PASSWORD"] else ""
    return f"postgres://{server['USER']}{password}@{server['HOST']}:{server['PORT']}/{name}"


def test_it_keeps_every_row_and_permission(empty_database: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "STORAGE_ROOT": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(FIXTURE)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    moved = json.loads(done.stdout.strip().splitlines()[-1])
    assert moved["webhook"] == ["https://receiver.example.org/hook", "s3cret", "alice@example.org"]
    assert moved["deliveries"] == [["task.completed", "succeeded", moved["hook_id"]]]
    assert moved["events"] == [["task.completed", 1, "Interview"]]
    assert moved["notifications"] == [["Interview", "alice@example.org"]]
    assert moved["retention"] == ["2026-11-01T12:00:00+00:00"]
    # The content type moved with its permission, so the group still holds it.
    assert moved["operators"] == ["tasks_app.change_webhook"]
    assert "webhook" not in moved["accounts_types"]
