"""`purge_deleted` takes a stored file no task refers to for lost, but never a temporary file
(tasks_app.storage.atomic_write) that a live writer may still rename, however old it looks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tasks_app import services

# A writer inside `atomic_write` that has written and not renamed yet, as a slow one is.
SLOW_WRITER = """
import sys, time
from pathlib import Path
from tasks_app import storage
with storage.atomic_write(Path(sys.argv[1])) as temporary:
    temporary.write_text("half of a result")
    print(temporary, flush=True)
    time.sleep(600)
"""


def aged(path: Path, seconds: float) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


@pytest.fixture
def slow_writer() -> Iterator[tuple[subprocess.Popen, Path]]:
    target = Path(settings.STORAGE_ROOT) / "results" / "0c1d_transcription.json"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", SLOW_WRITER, str(target)],
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    yield process, Path(process.stdout.readline().decode().strip())
    process.kill()
    process.wait()


def purge() -> services.PurgeReport:
    return services.purge_deleted(timedelta(hours=24))


def test_it_keeps_a_live_writers_temporary_file_and_removes_it_once_the_writer_died(
    db: Any, slow_writer: tuple[subprocess.Popen, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The file cannot look older than its writer, so nothing is young enough to be spared.
    monkeypatch.setattr(services, "ORPHAN_GRACE", timedelta(0))
    writer, temporary = slow_writer
    assert temporary.is_file()

    assert purge().files == 0
    assert temporary.exists()

    writer.kill()
    writer.wait()
    assert purge().files == 1
    assert not temporary.exists()


def test_it_leaves_another_hosts_temporary_files_to_the_sweeper(db: Any) -> None:
    # Its pid means nothing here; the sweeper judges it (transcription.leftovers).
    results = Path(settings.STORAGE_ROOT) / "results"
    results.mkdir(parents=True)
    elsewhere = results / ".0c1d_transcription.json.4242@worker-2.a1b2c3d4.tmp"
    elsewhere.write_text("{")
    lost = results / "0c1d_transcription.json"
    lost.write_text("{}")
    for path in (elsewhere, lost):
        aged(path, 7200)

    assert purge().files == 1
    assert elsewhere.exists() and not lost.exists()
