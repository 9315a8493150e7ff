"""Web and workers on separate "hosts" (issue 17): the web process and two worker hosts each have
their own empty STORAGE_ROOT, as if on separate machines, and share only PostgreSQL, Redis and
the object store (STORAGE_BACKEND=s3, under this test's S3_PREFIX).

Real processes throughout: gunicorn as the Procfile runs it, `manage.py transcription_worker`
and `manage.py sweeper` on each worker host, the real tiny.en (from its package: nothing on a
host's disk) on real speech. A "host" crashes as a machine losing power does: every process of
it SIGKILLed at once, its disk left as it was.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings

from accounts.models import User
from accounts.tokens import issue_tokens
from conftest import JFK_FLAC, JFK_TEXT
from scripts.services import free_port, stop_groups, wait_for_port
from tasks_app import blobs
from tasks_app.models import Attempt, ErrorCode, Status, Task
from transcription.models import WorkerProcess
from transcription.tests.conftest import (
    assert_jfk,
    looped_jfk,
    subprocess_env,
    wait_for,
    word_error_rate,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# The tail of the clip (from 7.6 s): a second recording, so that a transcript landing on the
# wrong task would show.
TAIL_TEXT = "ask what you can do for your country"
# Fast heartbeats so that a crashed host is noticed in seconds; one model thread per process on
# a machine that runs the web and both "hosts".
FAST = {
    "HEARTBEAT_SECONDS": "0.5",
    "HEARTBEAT_GRACE_SECONDS": "4",
    "SWEEPER_INTERVAL_SECONDS": "1",
    "MODEL_CPU_THREADS": "1",
    "LOG_LEVEL": "INFO",
    "WORKER_LOG_LEVEL": "INFO",
}


@dataclass
class Host:
    """One machine: its own STORAGE_ROOT, its processes (each leading a process group)."""

    name: str
    root: Path
    env: dict[str, str]
    log: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, *command: str) -> subprocess.Popen:
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                [sys.executable, *command],
                cwd=settings.BASE_DIR,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        return process

    def holds(self, pid: int) -> bool:
        with contextlib.suppress(ProcessLookupError):
            return os.getpgid(pid) in {p.pid for p in self.processes if p.poll() is None}
        return False

    def crash(self) -> None:
        """Power lost: every process at once, nothing said to anyone."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.processes.clear()

    def stop(self) -> None:
        stop_groups(self.processes, 20)
        self.processes.clear()

    def stored_files(self) -> list[str]:
        """Files on this host's disk that are not its own business: anything but models, and
        the empty scratch directories of its live processes."""
        return sorted(
            str(path.relative_to(self.root))
            for path in self.root.rglob("*")
            if path.is_file() and path.relative_to(self.root).parts[0] != "models"
        )


@pytest.fixture
def hosts(tmp_path: Path, s3: str, queues: Any) -> Iterator[dict[str, Host]]:
    """`web`, `a` and `b`, each with its own empty STORAGE_ROOT; nothing started yet."""
    found = {}
    for name in ("web", "a", "b"):
        root = tmp_path / name / "storage"
        root.mkdir(parents=True)
        env = subprocess_env(
            **FAST,
            STORAGE_ROOT=str(root),
            STORAGE_BACKEND="s3",
            S3_PREFIX=settings.S3_PREFIX,
            # The tokens this test issues must be valid in the web process.
            SECRET_KEY=settings.SECRET_KEY,
        )
        found[name] = Host(name, root, env, tmp_path / f"{name}.log")
    yield found
    for host in found.values():
        host.stop()
    for host in found.values():
        if host.log.exists():
            sys.stdout.write(f"--- {host.name} ---\n{host.log.read_text()}")


def start_worker_host(host: Host) -> None:
    host.start("manage.py", "transcription_worker", "--concurrency", "1")
    host.start("manage.py", "sweeper")


def start_web(host: Host) -> str:
    port = free_port()
    process = host.start(
        "-m", "gunicorn", "writers.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"
    )
    wait_for_port(port, timeout=60, process=process)
    return f"http://127.0.0.1:{port}"


class Api:
    def __init__(self, base: str, user: User) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {issue_tokens(user)[0]}"

    def upload(self, path: Path, title: str) -> str:
        with path.open("rb") as audio:
            response = self.session.post(
                f"{self.base}/api/v1/tasks",
                data={"title": title},
                files={"file": (path.name, audio, "audio/flac")},
                timeout=60,
            )
        assert response.status_code == 202, response.text
        return response.json()["id"]

    def result(self, task_id: str) -> dict[str, Any]:
        response = self.session.get(
            f"{self.base}/api/v1/tasks/{task_id}/result", params={"format": "json"}, timeout=60
        )
        assert response.status_code == 200, (task_id, response.status_code, response.text)
        return response.json()


def test_it_runs_on_two_worker_hosts_that_share_no_disk_and_survives_losing_one(
    hosts: dict[str, Host], owner: User, tmp_path: Path
) -> None:
    tail = tmp_path / "jfk-tail.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-ss", "7.6", "-i", str(JFK_FLAC), str(tail)],
        check=True,
        timeout=60,
    )
    # Two 30-second windows of speech: its host is still on the second when it goes down.
    long = looped_jfk(tmp_path, 3)
    api = Api(start_web(hosts["web"]), owner)
    start_worker_host(hosts["a"])
    start_worker_host(hosts["b"])

    victim = api.upload(long, "long")
    clips = {api.upload(JFK_FLAC if n % 2 else tail, f"clip {n}"): n % 2 for n in range(20)}

    def busy_host() -> tuple[Host, int] | str | None:
        task = Task.objects.get(pk=victim)
        if task.status in (Status.COMPLETED, Status.FAILED):
            return f"{task.status} {task.error_code} {task.error_message}"
        process = WorkerProcess.objects.filter(current_task_id=victim).first()
        if task.status != Status.PROCESSING or not task.progress or process is None:
            return None
        holder = [h for h in (hosts["a"], hosts["b"]) if h.holds(process.pid)]
        return (holder[0], process.pid) if holder else None

    # Mid-task: a partial result already written to the store.
    found = wait_for(busy_host, timeout=180, step=0.05)
    assert isinstance(found, tuple), f"the long task ended before its host could crash: {found}"
    crashed, pid = found
    crashed.crash()
    survivor = hosts["b" if crashed is hosts["a"] else "a"]

    ids = [victim, *clips]
    wait_for(
        lambda: (
            Task.objects.filter(pk__in=ids, status__in=[Status.COMPLETED, Status.FAILED])
            .values("pk")
            .count()
            == len(ids)
        ),
        timeout=420,
        step=0.5,
    )
    tasks = {str(task.pk): task for task in Task.objects.filter(pk__in=ids)}
    assert {t.status for t in tasks.values()} == {Status.COMPLETED}, [
        (t.title, t.status, t.error_code, t.error_message) for t in tasks.values()
    ]

    # The right transcript on each task, as the web serves it from the store.
    for task_id, full in clips.items():
        result = api.result(task_id)
        assert result["partial"] is False
        assert result["text"] == tasks[task_id].transcript_text
        if full:
            assert_jfk(result["text"])
        else:
            assert word_error_rate(TAIL_TEXT, result["text"]) <= 0.1, result["text"]
    assert word_error_rate(" ".join([JFK_TEXT] * 3), api.result(victim)["text"]) <= 0.15
    assert all(tasks[pk].attempts == 1 for pk in clips)

    # The sweeper of the surviving host noticed the dead one and gave the task a new attempt.
    first, second = Attempt.objects.filter(task_id=victim).order_by("number")
    assert (first.outcome, first.error_code) == (Attempt.Outcome.LOST, ErrorCode.WORKER_LOST)
    assert second.outcome == Attempt.Outcome.COMPLETED
    assert tasks[victim].attempts == 2

    # The store holds each upload and one final result per task: no superseded partial result.
    stored = {name for name, _ in blobs.listing("uploads")}
    assert stored == {task.file_path for task in tasks.values()}
    results = {name for name, _ in blobs.listing("results")}
    assert {task.result_path for task in tasks.values()} <= results
    assert len([name for name in results if name.endswith(".json")]) == len(ids), sorted(results)

    # No host keeps what belongs to the store; the crashed one cleans its scratch at restart.
    assert hosts["web"].stored_files() == []
    assert survivor.stored_files() == []
    start_worker_host(crashed)
    wait_for(
        lambda: any(crashed.holds(p.pid) for p in WorkerProcess.objects.exclude(pid=pid)),
        timeout=120,
        step=0.2,
    )
    with contextlib.suppress(AssertionError):
        wait_for(lambda: crashed.stored_files() == [], timeout=15, step=0.2)
    assert crashed.stored_files() == []
