"""Writers benchmark: what the queue, the worker and the API add on top of the engine, and what
the engine's own modes cost, in one table from one run.

Run with `make bench` (a throwaway PostgreSQL and Redis from scripts/services.py). Prints the
table and writes it to bench/RESULTS.md with the command that produced it; asserts nothing.
Targets from issue 4: e2e / engine <= 1.10 on the long clip, overhead <= 300 ms on the short
one, queued throughput >= 0.95 of a plain loop over the engine.

- Engine: `transcription.engine.transcribe` in this process, model warm, same model and
  cpu_threads as the worker.
- End to end: from the API's 202 for the upload to the task's `completed_at` as the API shows
  it, with one warm worker process (`manage.py transcription_worker --concurrency 1`). The
  client polls gently and reads the timestamp rather than timing its own polls: on a 2-core
  machine a tight polling loop would steal the CPU the worker is measured on.
- Throughput: 20 uploads queued while workers are suspended (`rq suspend`), then the time from
  the first claim to the last completion, against 20 engine calls in a loop.
- Model load: a fresh process loads the model (cold; the files are in the page cache, as on a
  worker that restarts), transcribes the short clip (first job) and again (second job, warm).
- Sequential vs batched: `BatchedInferencePipeline` (batch 8, with the VAD filter it needs to
  cut audio longer than 30 s) against the default decoder on both clips, speed as real-time
  factor and word error rate against the reference text.
- Speaker labels: diarization error, CPU and memory on two espeak-ng voices, measured first
  (bench/diarization.py says how). Not on a GPU: speaker labelling runs on the CPU anyway.
- On a GPU (`make bench-gpu`, `--device cuda`): the same rows with the model in float16 on
  GPU 0, for the worker and this process alike, and VRAM as NVML reads it for the whole device:
  before the model, with it loaded, and the peak of each sequential and batched run (sampled
  every 10 ms). They go to the "On a GPU" section of bench/RESULTS.md; a CPU run keeps that
  section and a GPU run keeps the CPU table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
AUDIO = Path(os.environ.get("WRITERS_SHARED_DIR", ROOT.parent / "shared")) / "audio"
JFK = AUDIO / "jfk.flac"
JFK_TEXT = (AUDIO / "jfk.txt").read_text().strip() if (AUDIO / "jfk.txt").exists() else ""
GPU_HEADING = "## On a GPU"
POLL_SECONDS = 0.1


@dataclass
class Row:
    section: str
    measure: str
    value: str
    note: str = ""


def setup_django(model: str, *, sequential: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
    os.environ["MODEL_NAME"] = model
    # The sequential decoder throughout, in this process and the worker, as these rows always
    # measured it; batched against sequential for long audio is `make bench-batched`.
    # sequential=False: the production choice (BATCHED_LONG_SECONDS's default) in both.
    if sequential:
        os.environ["BATCHED_LONG_SECONDS"] = "0"
    else:
        os.environ.pop("BATCHED_LONG_SECONDS", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("WORKER_LOG_LEVEL", "WARNING")
    os.environ.setdefault("ENABLE_RESOURCE_MONITORING", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def long_clip(directory: Path, minimum_seconds: float) -> tuple[Path, int]:
    """jfk.flac repeated to at least `minimum_seconds`; the path and the repetitions."""
    times = int(minimum_seconds // 11) + 1
    target = directory / f"jfk_x{times}.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(times - 1), "-i", str(JFK)]
        + [str(target)],
        check=True,
    )
    return target, times


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


def engine_run(
    path: Path, model: str, batched: bool = False, batch_size: int = 8
) -> tuple[float, str]:
    """Wall seconds and transcript of one engine call in this process."""
    from transcription import engine

    started = time.perf_counter()
    # The batched pipeline needs VAD to cut audio longer than one 30 s window.
    options = engine.Options(
        model_name=model, batched=batched, vad_filter=batched, batch_size=batch_size
    )
    result = engine.transcribe(path, options)
    return time.perf_counter() - started, result["text"]


class VramPeak(threading.Thread):
    """The highest VRAM use NVML reports on GPU 0 while the `with` block runs, in MB."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0
        self._done = threading.Event()

    def sample(self) -> None:
        from transcription import monitoring

        reading = monitoring.read_gpu(0)
        if reading is not None:
            self.peak_mb = max(self.peak_mb, reading.used_mb)

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.sample()

    def __enter__(self) -> VramPeak:
        self.sample()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join()
        self.sample()


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "transcription_worker", "--concurrency", "1"],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
    )


COLD_SCRIPT = """
import json, os, sys, time
started = time.perf_counter()
import django
django.setup()
from transcription import engine
ready = time.perf_counter()
engine.get_model(sys.argv[1])
loaded = time.perf_counter()
engine.transcribe(sys.argv[2], engine.Options(model_name=sys.argv[1]))
first = time.perf_counter()
engine.transcribe(sys.argv[2], engine.Options(model_name=sys.argv[1]))
second = time.perf_counter()
engine.get_model(sys.argv[1])
cached = time.perf_counter()
print(json.dumps({"load": loaded - ready, "first": first - loaded, "second": second - first,
                  "cached": cached - second, "startup": ready - started}))
"""


def cold_and_warm(model: str) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", COLD_SCRIPT, model, str(JFK)],
        cwd=ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def machine() -> list[Row]:
    import importlib.metadata

    import psutil
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django_rq

    redis_version = django_rq.get_connection("media").info()["redis_version"]
    from transcription import engine

    device, _index = engine.resolve_device()
    gpu = ""
    if device == "cuda":
        from transcription import monitoring

        reading = monitoring.read_gpu(0)
        gpu = (monitoring.gpu_name(0) or "CUDA") + (f", {reading.total_mb} MB" if reading else "")
        gpu += f", driver {monitoring.driver_version()}, cuBLAS " + (
            "from requirements-gpu.txt" if engine.load_cuda_libraries() else "of the system"
        )
    packages = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("faster-whisper", "ctranslate2", "av", "Django", "rq")
    )
    return [
        Row("machine", "CPU", f"{cpu}, {psutil.cpu_count()} cores", gpu or "no GPU used"),
        Row("machine", "memory", f"{psutil.virtual_memory().total / 2**30:.1f} GiB"),
        Row("machine", "system", f"{platform.platform()}, Python {platform.python_version()}"),
        Row("machine", "versions", packages, f"PostgreSQL {postgres}, Redis {redis_version}"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL_NAME", "base"))
    parser.add_argument("--runs", type=int, default=3, help="repetitions for the short clip")
    parser.add_argument("--long-runs", type=int, default=2, help="repetitions, long clip")
    parser.add_argument("--jobs", type=int, default=20, help="queued uploads for throughput")
    parser.add_argument("--long-seconds", type=float, default=180)
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default=os.environ.get("MODEL_DEVICE", "auto"),
        help="where the model runs, here and in the worker (cuda: GPU 0, float16)",
    )
    parser.add_argument("--batch-size", type=int, default=8, help="batched pipeline's batch")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make bench` (scripts/services.py provides the servers).")
    # Before Django reads its settings; the worker subprocess inherits it.
    os.environ["MODEL_DEVICE"] = args.device
    setup_django(args.model)
    import django_rq
    from django.conf import settings
    from rq.suspension import resume, suspend

    from transcription import engine, monitoring
    from transcription.tests.conftest import word_error_rate

    on_gpu = engine.resolve_device()[0] == "cuda"
    # First: its memory growth is measured before this process loads any Whisper model.
    from bench import diarization

    speaker_rows = [] if on_gpu else [Row(*line) for line in diarization.measure()]
    vram_before = monitoring.read_gpu(0) if on_gpu else None

    workdir = Path(tempfile.mkdtemp(prefix="writers-bench-"))
    long, repeats = long_clip(workdir, args.long_seconds)
    references = {"short": JFK_TEXT, "long": " ".join([JFK_TEXT] * repeats)}
    clips = {"short": JFK, "long": long}
    rows: list[Row] = []
    started = time.monotonic()
    # Before the worker starts, so the two processes do not share the CPU while measured.
    cold = cold_and_warm(args.model)
    api = Api()
    if on_gpu:
        engine.get_model(args.model)
        loaded = monitoring.read_gpu(0)
        if vram_before and loaded:
            rows.append(
                Row(
                    "VRAM (whole GPU, NVML)",
                    "before / with the model loaded",
                    f"{vram_before.used_mb} MB / {loaded.used_mb} MB",
                    f"of {loaded.total_mb} MB; {args.model} in "
                    + engine.default_compute_type("cuda"),
                )
            )
    worker = start_worker()
    try:
        # Warm both sides: the worker's model and this process's.
        task_id, _ = api.upload(JFK)
        api.wait_completed(task_id, timeout=300)
        engine_run(JFK, args.model)

        def e2e(path: Path) -> float:
            task_id, accepted = api.upload(path)
            return epoch(api.wait_completed(task_id)["completed_at"]) - accepted

        # Engine and end-to-end runs alternate, so load from elsewhere hits both alike.
        for label, runs in (("short", args.runs), ("long", args.long_runs)):
            engine_runs, e2e_runs = [], []
            for _ in range(runs):
                engine_runs.append(engine_run(clips[label], args.model)[0])
                e2e_runs.append(e2e(clips[label]))
            audio = engine.decode(clips[label]).shape[0] / 16000
            engine_s, e2e_s = statistics.median(engine_runs), statistics.median(e2e_runs)
            rows += [
                Row(
                    f"engine vs e2e, {label} clip ({audio:.0f} s)",
                    "engine / end to end",
                    f"{engine_s:.2f} s / {e2e_s:.2f} s",
                    f"median of {runs}",
                ),
                Row(
                    f"engine vs e2e, {label} clip ({audio:.0f} s)",
                    "overhead, ratio",
                    f"{(e2e_s - engine_s) * 1000:.0f} ms, {e2e_s / engine_s:.3f}",
                    "target <= 300 ms" if label == "short" else "target ratio <= 1.10",
                ),
            ]

        loop_started = time.perf_counter()
        for _ in range(args.jobs):
            engine_run(JFK, args.model)
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
    loop_rate = args.jobs / loop_seconds * 60
    queued_rate = args.jobs / queued_seconds * 60
    rows.append(
        Row(
            f"throughput, {args.jobs} x short clip",
            "engine loop / queued through API + worker",
            f"{loop_rate:.1f} / {queued_rate:.1f} jobs/min",
            f"{queued_rate / loop_rate:.3f} of the loop (target >= 0.95)",
        )
    )
    rows += [
        Row("model load", "cold (fresh process)", f"{cold['load']:.2f} s", "files in page cache"),
        Row("model load", "warm (cached in the process)", f"{cold['cached'] * 1000:.2f} ms"),
        Row(
            "model load",
            "first job / second job",
            f"{cold['first']:.2f} s / {cold['second']:.2f} s",
            "short clip, after the load",
        ),
    ]
    # Sequential and batched after the worker stopped: alone on the CPU, like the engine runs.
    for label, path in clips.items():
        audio = engine.decode(path).shape[0] / 16000
        for batched in (False, True):
            with VramPeak() as vram:
                wall, text = engine_run(path, args.model, batched, args.batch_size)
            wer = word_error_rate(references[label], text)
            rows.append(
                Row(
                    f"sequential vs batched, {label} clip",
                    f"batched (batch {args.batch_size}, VAD)" if batched else "sequential",
                    f"{audio / wall:.1f}x real time, WER {wer:.3f}",
                    f"{wall:.2f} s" + (f", VRAM peak {vram.peak_mb} MB" if on_gpu else ""),
                )
            )
    shutil.rmtree(workdir, ignore_errors=True)
    rows += speaker_rows
    rows += machine()
    where = (
        f"{monitoring.gpu_name(0)} (cuda:0, {engine.default_compute_type('cuda')})"
        if on_gpu
        else f"{settings.MODEL_CPU_THREADS} CPU thread(s) per process"
    )
    title = (
        f"model {args.model}, {where}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {time.monotonic() - started:.0f} s"
    )
    table = render(rows)
    print(f"\nWriters benchmark: {title}\n\n{table}")
    if not args.no_write:
        extra = [arg for arg in sys.argv[1:] if arg not in ("--device", "cuda")]
        command = ("make bench-gpu" if on_gpu else "make bench") + (
            f' BENCH_ARGS="{shlex.join(extra)}"' if extra else ""
        )
        write_results(command, title, table, on_gpu)


def write_results(command: str, title: str, table: str, on_gpu: bool) -> None:
    """The CPU table (the text before RESULTS.md's first section) or the GPU section, keeping
    every other bench's figures."""
    from bench.results import write_section

    produced = (
        f"Produced by `{command}` ({title}); every figure below comes from that one run. "
        "How each is measured: the docstring of `bench/run.py`."
    )
    if on_gpu:
        write_section(GPU_HEADING, f"{GPU_HEADING}\n\n{produced}\n\n{table}\n")
        return
    write_section(
        None,
        f"# Benchmark results\n\n{produced} The long clip is jfk.flac repeated, which "
        "tempts a decoder conditioned on its previous text to skip repeats. On a machine "
        "shared with other work, compare the rows of one run, not runs.\n\n"
        f"{table}\n",
    )


def render(rows: list[Row]) -> str:
    lines = ["| what | measure | value | note |", "|---|---|---|---|"]
    lines += [f"| {r.section} | {r.measure} | {r.value} | {r.note} |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
