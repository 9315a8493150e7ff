"""Writers benchmark: what the queue, the worker and the API add on top of the engine.

Run with `make bench` (a throwaway PostgreSQL and Redis from scripts/services.py). Prints figures;
asserts nothing. Targets from issue 4: e2e / engine <= 1.10 on the long clip, overhead <= 300 ms
on the short one, queued throughput >= 0.95 of a plain loop over the engine.

- Engine: `transcription.engine.transcribe` in this process, model warm, same model and
  cpu_threads as the worker.
- End to end: from the API's 202 for the upload to the task's `completed_at` as the API shows
  it, with one warm worker process (`manage.py transcription_worker --concurrency 1`). The
  client polls gently and reads the timestamp rather than timing its own polls: on a 2-core
  machine a tight polling loop would steal the CPU the worker is measured on.
- Throughput: 20 uploads queued while workers are suspended (`rq suspend`), then the time from
  the first claim to the last completion, against 20 engine calls in a loop.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
JFK = Path(os.environ.get("WRITERS_SHARED_DIR", ROOT.parent / "shared")) / "audio" / "jfk.flac"
POLL_SECONDS = 0.1


def setup_django(model: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
    os.environ["MODEL_NAME"] = model
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("WORKER_LOG_LEVEL", "WARNING")
    os.environ.setdefault("ENABLE_RESOURCE_MONITORING", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def long_clip(directory: Path, minimum_seconds: float) -> Path:
    """jfk.flac repeated to at least `minimum_seconds`."""
    times = int(minimum_seconds // 11) + 1
    target = directory / f"jfk_x{times}.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(times - 1), "-i", str(JFK)]
        + [str(target)],
        check=True,
    )
    return target


class Api:
    def __init__(self) -> None:
        from rest_framework.test import APIClient

        from accounts.models import User
        from accounts.tokens import issue_tokens

        user = User.objects.filter(username="bench").first() or User.objects.create_user(
            username="bench", email="bench@example.org", password=None
        )
        self.client = APIClient()
        access, _refresh = issue_tokens(user)
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    def upload(self, path: Path) -> tuple[str, float]:
        """Upload; returns the task id and the moment (epoch seconds) the API accepted it."""
        with path.open("rb") as audio:
            response = self.client.post(
                "/api/v1/tasks", {"title": path.name, "file": audio}, format="multipart"
            )
        accepted = time.time()
        if response.status_code != 202:
            raise SystemExit(f"upload refused: {response.status_code} {response.content[:200]}")
        return response.json()["id"], accepted

    def wait_completed(self, task_id: str, timeout: float = 900) -> dict[str, Any]:
        """The task as the API shows it once COMPLETED."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.client.get(f"/api/v1/tasks/{task_id}").json()
            if task["status"] == "COMPLETED":
                return task
            if task["status"] in ("FAILED", "CANCELLED"):
                raise SystemExit(f"task {task_id} ended {task['status']}: {task['error']}")
            time.sleep(POLL_SECONDS)
        raise SystemExit(f"task {task_id} not completed within {timeout}s")


def epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def engine_seconds(path: Path, model: str) -> float:
    from transcription import engine

    started = time.perf_counter()
    engine.transcribe(path, engine.Options(model_name=model))
    return time.perf_counter() - started


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "transcription_worker", "--concurrency", "1"],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL_NAME", "base"))
    parser.add_argument("--runs", type=int, default=3, help="repetitions for the short clip")
    parser.add_argument("--long-runs", type=int, default=2, help="repetitions, long clip")
    parser.add_argument("--jobs", type=int, default=20, help="queued uploads for throughput")
    parser.add_argument("--long-seconds", type=float, default=180)
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make bench` (scripts/services.py provides the servers).")
    setup_django(args.model)
    import django_rq
    from django.conf import settings
    from rq.suspension import resume, suspend

    from transcription import engine

    workdir = Path(tempfile.mkdtemp(prefix="writers-bench-"))
    long = long_clip(workdir, args.long_seconds)
    api = Api()
    worker = start_worker()
    results: dict[str, Any] = {}
    try:
        # Warm both sides: the worker's model and this process's.
        task_id, _ = api.upload(JFK)
        api.wait_completed(task_id, timeout=300)
        engine_seconds(JFK, args.model)

        def e2e(path: Path) -> float:
            task_id, accepted = api.upload(path)
            return epoch(api.wait_completed(task_id)["completed_at"]) - accepted

        # Engine and end-to-end runs alternate, so load from elsewhere hits both alike.
        for label, path, runs in (("short", JFK, args.runs), ("long", long, args.long_runs)):
            engine_runs, e2e_runs = [], []
            for _ in range(runs):
                engine_runs.append(engine_seconds(path, args.model))
                e2e_runs.append(e2e(path))
            audio = engine.decode(path).shape[0] / 16000
            results[label] = (audio, statistics.median(engine_runs), statistics.median(e2e_runs))

        loop_started = time.perf_counter()
        for _ in range(args.jobs):
            engine_seconds(JFK, args.model)
        loop_seconds = time.perf_counter() - loop_started

        connection = django_rq.get_connection("media")
        suspend(connection)
        # An idle worker sleeps in BLPOP and only looks at the suspension between jobs: give it
        # a no-op job so it is parked before the uploads arrive.
        parked = django_rq.get_queue("default").enqueue("os.getpid")
        while parked.get_status(refresh=True) != "finished":
            time.sleep(0.05)
        ids = [api.upload(JFK)[0] for _ in range(args.jobs)]
        resume(connection)
        done = [api.wait_completed(task_id) for task_id in ids]
        queued_seconds = max(epoch(t["completed_at"]) for t in done) - min(
            epoch(t["started_at"]) for t in done
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(60)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nWriters benchmark: model {args.model}, {settings.MODEL_CPU_THREADS} CPU thread(s)")
    print(f"{'clip':<6} {'audio s':>8} {'engine s':>9} {'e2e s':>7} {'overhead':>9} {'ratio':>6}")
    for label, (audio, engine_s, e2e_s) in results.items():
        print(
            f"{label:<6} {audio:>8.1f} {engine_s:>9.2f} {e2e_s:>7.2f} "
            f"{(e2e_s - engine_s) * 1000:>7.0f}ms {e2e_s / engine_s:>6.3f}"
        )
    loop_rate = args.jobs / loop_seconds * 60
    queued_rate = args.jobs / queued_seconds * 60
    print(
        f"throughput, {args.jobs} x jfk: engine loop {loop_rate:.1f} jobs/min, "
        f"queued through API + worker {queued_rate:.1f} jobs/min "
        f"({queued_rate / loop_rate:.3f} of the loop)"
    )
    print("targets: long e2e/engine <= 1.10, short overhead <= 300 ms, throughput >= 0.95 of loop")


if __name__ == "__main__":
    main()
