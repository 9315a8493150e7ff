"""A database from before workspaces migrates in place: every user gets a personal workspace
they are the admin of, and every task (those in the Trash too) moves into its owner's."""

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
# SQLite always (the database of `make run`); PostgreSQL where the run has a server (`make test`).
ENGINES = ["sqlite"] + (
    ["postgresql"] if "postgresql" in settings.DATABASES["default"]["ENGINE"] else []
)


@pytest.fixture(params=ENGINES)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'before.sqlite3'}"
    server = settings.DATABASES["default"]
    name = f"before_teams_{uuid.uuid4().hex[:12]}"
    admin = psycopg.connect(
        host=server["HOST"], port=server["PORT"], user=server["USER"],
        password=server["PASSWORD"], dbname="postgres", autocommit=True,
    )  # fmt: skip
    admin.execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: (admin.execute(f'DROP DATABASE "{name}"'), admin.close()))
    password = f":{server['PASSWORD']}" if server["PASSWORD"] else ""
    return f"postgres://{server['USER']}{password}@{server['HOST']}:{server['PORT']}/{name}"


def test_it_gives_everyone_a_personal_workspace_with_their_tasks(
    empty_database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database, "STORAGE_ROOT": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(FIXTURE)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    moved = json.loads(done.stdout.strip().splitlines()[-1])
    assert moved["orphans"] == 0 and moved["tasks"] == 4
    assert moved["users"] == {
        "alice": {
            "workspace": "Personal",
            "members": [[True, "admin"]],
            "tasks": ["Board call", "Interview", "Old draft"],
            "owned": 3,
        },
        "bob": {
            "workspace": "Personal",
            "members": [[True, "admin"]],
            "tasks": ["Lecture"],
            "owned": 1,
        },
        "carol": {"workspace": "Personal", "members": [[True, "admin"]], "tasks": [], "owned": 0},
    }
