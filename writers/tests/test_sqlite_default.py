"""`make run` uses SQLite: every migration must apply there too, not only on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_it_migrates_a_fresh_sqlite_database(tmp_path: Path):
    env = {**os.environ, "STORAGE_ROOT": str(tmp_path), "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "writers.sqlite3").exists()
