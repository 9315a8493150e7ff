"""make test's two pytest processes (pytest-xdist, scripts/pytest_workers.py) keep their queues
apart: each process's Django reads Redis databases of its own, so one's workers never take the
other's jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from django.conf import settings

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
