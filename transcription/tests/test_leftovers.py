"""Temporary files of killed writers: the sweeper and a starting worker remove them, never a live
writer's (transcription.leftovers, tasks_app.storage)."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks_app import blobs, storage, uploads
from transcription import leftovers, video
from transcription.sweeper import sweep
from transcription.tests.samples import make_video
from writers import metrics

RESULT = "results/{}_transcription.json"
# A writer that pauses inside `atomic_write` after writing, as a slow one does, until killed.
SLOW_WRITER = """
import sys, time
from pathlib import Path
from tasks_app import storage
with storage.atomic_write(Path(sys.argv[1])) as temporary:
    temporary.write_text("half of a result")
    print("written", flush=True)
    time.sleep(600)
"""


def aged(path: Path, seconds: float) -> Path:
    """Make `path` look last written `seconds` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def leftover(name: str, *, pid: int, host: str | None = None, age: float = 0) -> Path:
    """A temporary file under STORAGE_ROOT as `atomic_write` names them, left by `pid@host`."""
    host = host or storage.this_host()
    path = Path(settings.STORAGE_ROOT) / name
    path = path.with_name(f".{path.name}.{pid}@{host}.{secrets.token_hex(4)}.tmp")
    assert storage.writer_of(path) == storage.Writer(pid, host)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{")
    return aged(path, age)


def dead_pid() -> int:
    """The pid of a process of this host that has ended."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    ended.wait()
    assert not psutil.pid_exists(ended.pid)
    return ended.pid


@pytest.fixture
def slow_writer() -> Iterator[Callable[[str], tuple[subprocess.Popen, Path]]]:
    """`slow_writer(name)` starts a process writing `name` under STORAGE_ROOT that stays inside
    the write window; returns it and its temporary file. Killed when the test ends."""
    started: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", SLOW_WRITER, str(Path(settings.STORAGE_ROOT) / name)],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
        )
        started.append(process)
        assert process.stdout is not None and process.stdout.readline() == b"written\n"
        (path,) = leftovers.temporary_files()
        return process, path

    yield start
    for process in started:
        process.kill()
        process.wait()


@pytest.fixture
def grace(settings: Any) -> float:
    settings.HEARTBEAT_GRACE_SECONDS = 30
    return settings.HEARTBEAT_GRACE_SECONDS


@pytest.mark.django_db(transaction=True)
def test_it_keeps_a_slow_writers_file_past_the_grace(
    slow_writer: Any, settings: Any, queues: Any
) -> None:
    writer, path = slow_writer(RESULT.format(uuid.uuid4()))
    # As old as it can be: written when its writer started, and the grace long gone.
    started = psutil.Process(writer.pid).create_time()
    os.utime(path, (started, started))
    settings.HEARTBEAT_GRACE_SECONDS = 0.1
    time.sleep(0.2)

    assert sweep().leftovers == 0
    assert leftovers.remove(older_than=0, other_hosts=False) == 0
    assert path.exists()

    writer.kill()
    writer.wait()
    assert sweep().leftovers == 1
    assert not path.exists()


@pytest.mark.django_db(transaction=True)
def test_it_removes_a_dead_writers_file_once_older_than_the_grace(
    grace: float, queues: Any
) -> None:
    final = Path(settings.STORAGE_ROOT) / RESULT.format(uuid.uuid4())
    final.parent.mkdir()
    final.write_text("{}")
    aged(final, grace * 10)
    old = leftover(RESULT.format(uuid.uuid4()), pid=dead_pid(), age=grace + 1)
    fresh = leftover(RESULT.format(uuid.uuid4()), pid=dead_pid(), age=grace - 5)
    upload = leftover(f"uploads/{uuid.uuid4()}.flac", pid=dead_pid(), age=grace + 1)

    report = sweep()

    assert report.leftovers == 2
    assert "removed 2 leftover temporary files" in str(report)
    assert (old.exists(), upload.exists(), fresh.exists(), final.exists()) == (
        False,
        False,
        True,
        True,
    )
    assert metrics._redis().get(f"{metrics.PREFIX}:leftovers") == b"2"


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_removes_what_dead_writers_of_its_host_left_at_once(
    grace: float, drain: Any
) -> None:
    dead = leftover(RESULT.format(uuid.uuid4()), pid=dead_pid())
    mine = leftover(RESULT.format(uuid.uuid4()), pid=os.getpid())
    elsewhere = leftover(RESULT.format(uuid.uuid4()), pid=dead_pid(), host="other-host")

    drain()

    assert (dead.exists(), mine.exists(), elsewhere.exists()) == (False, True, True)


@pytest.mark.django_db(transaction=True)
def test_it_judges_another_hosts_file_by_its_age(grace: float, queues: Any) -> None:
    # This process's pid, but on another host: that says nothing about the writer there.
    fresh = leftover(RESULT.format(uuid.uuid4()), pid=os.getpid(), host="other-host")
    old = leftover(RESULT.format(uuid.uuid4()), pid=os.getpid(), host="other-host", age=grace + 1)

    assert sweep().leftovers == 1
    assert (fresh.exists(), old.exists()) == (True, False)


def test_it_takes_a_reused_pid_for_a_dead_writer() -> None:
    # The file was last written before this process started: this process cannot be its writer.
    started = psutil.Process().create_time()
    path = leftover(RESULT.format(uuid.uuid4()), pid=os.getpid())
    aged(path, time.time() - started + 60)

    assert leftovers.remove(older_than=0, other_hosts=False) == 1
    assert not path.exists()


def test_it_leaves_other_files_alone() -> None:
    root = Path(settings.STORAGE_ROOT)
    names = [RESULT.format(uuid.uuid4()), f"uploads/{uuid.uuid4()}.flac", "results/.hidden"]
    for name in names:
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).touch()
        aged(root / name, 3600)

    assert leftovers.remove(older_than=0, other_hosts=True) == 0
    assert all((root / name).exists() for name in names)


def write_result(target: Path, source: Path) -> None:
    blobs.write_json(str(target.relative_to(settings.STORAGE_ROOT)), {"text": "done"})


def write_upload(target: Path, source: Path) -> None:
    upload = SimpleUploadedFile("jfk.flac", source.read_bytes(), "audio/flac")
    uploads.store_upload(upload, uuid.UUID(target.name.split(".")[0]))


def write_thumbnail(target: Path, source: Path) -> None:
    clip = make_video(Path(settings.STORAGE_ROOT) / "clip.mp4", None, seconds=2)
    video.write_thumbnail(clip, target)


def write_normalized_audio(target: Path, source: Path) -> None:
    video.write_normalized_audio(np.zeros(16000, dtype=np.float32), target)


@pytest.mark.parametrize(
    ("write", "name"),
    [
        (write_result, "results/{}/001-1.json"),
        (write_upload, "uploads/{}.flac"),
        (write_thumbnail, "results/{}_thumbnail.jpg"),
        (write_normalized_audio, "results/{}_audio.flac"),
    ],
)
def test_every_writer_names_its_temporary_file_for_the_cleaner(
    write: Callable[[Path, Path], None],
    name: str,
    jfk_flac: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = Path(settings.STORAGE_ROOT) / name.format(uuid.uuid4())
    seen: list[dict[Path, storage.Writer]] = []
    write_atomically = storage.atomic_write

    @contextlib.contextmanager
    def watched(path: Path) -> Iterator[Path]:
        with write_atomically(path) as temporary:
            yield temporary
            seen.append(leftovers.temporary_files())

    monkeypatch.setattr(storage, "atomic_write", watched)

    write(target, jfk_flac)

    assert [list(found.values()) for found in seen] == [
        [storage.Writer(os.getpid(), storage.this_host())]
    ]
    assert [path.name for path in target.parent.iterdir()] == [target.name]
