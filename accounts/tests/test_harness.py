"""`make test` runs the suite on the PostgreSQL that scripts/services.py starts; a run that
quietly fell back to SQLite would leave everything PostgreSQL-specific untested."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from django.conf import settings
from django.db import connection


def test_it_runs_on_postgresql_when_the_harness_provides_it(db) -> None:
    assert os.environ.get("DATABASE_URL"), (
        "DATABASE_URL is not set: run the suite inside scripts/services.py (make test)"
    )
    assert connection.vendor == "postgresql"
    # And on its Redis, not a default one that may belong to someone else.
    assert os.environ.get("REDIS_URL") == settings.REDIS_URL


def test_it_runs_a_command_on_sqlite_and_redis_only_with_the_sqlite_flag() -> None:
    # `make test-sqlite` runs inside this flag, after the PostgreSQL run: a DATABASE_URL left
    # in the environment must not carry the SQLite run back to a PostgreSQL.
    probe = (
        "import os; from django.db import connection; "
        "print(connection.vendor, connection.settings_dict['NAME'], os.environ['REDIS_URL'])"
    )
    result = subprocess.run(
        [sys.executable, "scripts/services.py", "--sqlite", "--"]
        + [sys.executable, "manage.py", "shell", "-c", probe],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    vendor, name, redis_url = result.stdout.split()[-3:]
    storage = re.search(r"SQLite in (\S+)", result.stdout)
    assert storage, result.stdout
    assert (vendor, name) == ("sqlite", f"{storage[1]}/writers.sqlite3")
    assert redis_url.startswith("redis://127.0.0.1:") and redis_url != os.environ.get("REDIS_URL")
