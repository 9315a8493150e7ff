"""Workers scaling with cores (issue 18, item 1): N simultaneous 3-minute uploads on W workers
finish within 1.15 x ceil(N/W) x the single-file engine time (W=2, N=4 on this machine). No
other feature may break it: pieces (a long recording is split while another worker is idle, which
must not make the uploads queued behind it wait) and fair queues (a reorder before each dequeue).

Run with `make bench-scaling` (a throwaway PostgreSQL and Redis from scripts/services.py). Both
figures come from one run:
- engine: `transcription.engine.transcribe` on the clip in this process, warm, with what a
  worker uses: the model (`base`), MODEL_CPU_THREADS threads and the production decoder choice
  (batched for long audio on the CPU, bench/RESULTS.md "Batched or sequential"); run before the
  workers start and again after they stop, so drift in the machine's load shows;
- N uploads of the clip through the API, back to back as fast as the API takes them (one user,
  so fair queues keep their order), on W warm workers (`manage.py transcription_worker
  --concurrency W`, each has first transcribed jfk.flac, repeated past BATCHED_LONG_SECONDS
  when the clip is decoded batched, as this process has): each task's upload (the API's 202) ->
  `completed_at`, and the last completion from the first upload's 202.
The ratio is last / (ceil(N/W) x engine time). The clip is bench/speech_clips.py's *english* one
(185 s: six espeak-ng voices, jfk.flac twice, pauses). Prints the table and writes it to
bench/RESULTS.md's section "Workers scaling with cores" with the load average and how many pieces
each task was cut into.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import speech_clips  # noqa: E402 (after the path above)
from bench.chunks import start_workers, stop  # noqa: E402
from bench.results import write_section  # noqa: E402
from bench.run import JFK, JFK_TEXT, Api, engine_run, long_clip, setup_django  # noqa: E402

HEADING = "## Workers scaling with cores"
TARGET_RATIO = 1.15
# The client looks at the tasks this often; the figures are the rows' own timestamps, so a
# gentle look costs the workers no CPU and no precision.
LOOK_SECONDS = 1.0
# Each measured phase waits (up to QUIET_WAIT_SECONDS) until the machine's CPU use over 5 s is
# below this share of all cores: the lock keeps other benches and tests off, not everything.
QUIET_SHARE = 0.2
QUIET_WAIT_SECONDS = 120


NOTES = """\
How to read the pieces: a task in pieces whose pieces all ran on one worker ("2 (1)") was cut
because the other worker was idle and nothing waited when its job planned (the next upload had
not arrived yet; transcription.pieces.idle_workers counts queued work as taking an idle worker);
by the time its second piece was queued the next upload had the other worker, so the task's own
job transcribed every piece and paid the cut (a VAD pass over the recording, one decode per
piece) for nothing; the piece job left in the queue finds no piece to take. Fair queues: one
user, so the reorder before each dequeue keeps the queued order and costs only its queries. The
engine's CPU seconds can exceed its wall seconds: threads other than the decoder's one (the
batched pipeline's VAD among them)."""


def ratio(last_seconds: float, engine_seconds: float, uploads: int, workers: int) -> float:
    """The last completion against ceil(uploads / workers) engine runs back to back: what
    `workers` perfectly parallel processes would need."""
    return last_seconds / (math.ceil(uploads / workers) * engine_seconds)


def wait_quiet() -> float:
    """The machine's CPU use (share of all cores over 5 s) once below QUIET_SHARE, or as it is
    after QUIET_WAIT_SECONDS."""
    import psutil

    deadline = time.monotonic() + QUIET_WAIT_SECONDS
    while True:
        busy = psutil.cpu_percent(interval=5) / 100
        if busy < QUIET_SHARE or time.monotonic() > deadline:
            return busy


def engine_seconds(clip: Path, model: str, runs: int) -> list[tuple[float, float]]:
    """Wall and CPU seconds of each run: CPU well below wall means others took the cores."""
    timed = []
    for _ in range(runs):
        cpu = time.process_time()
        wall = engine_run(clip, model)[0]
        timed.append((wall, time.process_time() - cpu))
    return timed


def wait_all(task_ids: list[str], timeout: float) -> None:
    from tasks_app.models import Status, Task

    ended = [Status.COMPLETED, Status.FAILED, Status.CANCELLED]
    deadline = time.monotonic() + timeout
    while Task.objects.filter(pk__in=task_ids).exclude(status__in=ended).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"tasks not done within {timeout:.0f} s")
        time.sleep(LOOK_SECONDS)
    failed = Task.objects.filter(pk__in=task_ids).exclude(status=Status.COMPLETED)
    for task in failed:
        raise SystemExit(f"task {task.pk} ended {task.status}: {task.error_message}")


def warm(api: Api, workers: int, clip: Path) -> None:
    """Every worker process has transcribed `clip` once (model loaded and used), as deployed."""
    from tasks_app.models import Attempt

    ids: list[str] = []
    for _round in range(5):
        ids += [api.upload(clip)[0] for _ in range(workers)]
        wait_all(ids, timeout=300)
        if Attempt.objects.filter(task_id__in=ids).values("worker").distinct().count() >= workers:
            return
    raise SystemExit("not every worker took a warm-up task")


def measure(api: Api, clip: Path, uploads: int, workers: int, warm_clip: Path) -> dict[str, Any]:
    """`uploads` uploads of `clip` at once on `workers` idle worker processes warmed on
    `warm_clip`."""
    from tasks_app.models import Attempt, Task
    from tasks_app.services import load_result

    supervisor = start_workers(workers)
    try:
        warm(api, workers, warm_clip)
        busy = wait_quiet()
        load = os.getloadavg()[0]
        sent = [api.upload(clip) for _ in range(uploads)]
        wait_all([task_id for task_id, _accepted in sent], timeout=600 + 300 * uploads)
    finally:
        stop(supervisor)
    first = min(accepted for _task_id, accepted in sent)
    tasks = []
    for number, (task_id, accepted) in enumerate(sent, 1):
        task = Task.objects.get(pk=task_id)
        run = load_result(task)["run"]
        pieces = run.get("pieces") or {}
        tasks.append(
            {
                "number": number,
                "uploaded": accepted - first,
                "started": task.started_at.timestamp() - accepted,
                "completed": task.completed_at.timestamp() - accepted,
                "end": task.completed_at.timestamp() - first,
                "worker_engine": run.get("wall_seconds"),
                "pieces": pieces.get("count", 1),
                "piece_workers": len(set(pieces.get("workers", []))) or 1,
                "worker": Attempt.objects.filter(task=task).order_by("number").last().worker,
                "batched": run.get("batched"),
            }
        )
    return {"tasks": tasks, "busy": busy, "load": load, "load_after": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL_NAME", "base"))
    parser.add_argument("--uploads", type=int, default=4, help="N: simultaneous uploads")
    parser.add_argument("--workers", type=int, default=2, help="W: worker processes")
    parser.add_argument(
        "--engine-runs", type=int, default=1, help="engine runs before the workers, and after"
    )
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make bench-scaling` (scripts/services.py, the servers).")
    # The production decoder choice, in this process and the workers.
    setup_django(args.model, sequential=False)
    from django.conf import settings

    from transcription import engine

    clip, _reference = speech_clips.build("english", JFK, JFK_TEXT)
    seconds = len(engine.decode(clip)) / engine.SAMPLE_RATE
    batched = engine.batched_for(
        engine.Options(model_name=args.model), seconds, engine.resolve_device()[0]
    )
    workdir = Path(tempfile.mkdtemp(prefix="writers-scaling-"))
    # Warm on the decoder the clip gets: the first batched run of a process took 6-8 s more
    # than the next ones on this clip (setting up the batched pipeline and its VAD).
    warm_clip = long_clip(workdir, settings.BATCHED_LONG_SECONDS + 1)[0] if batched else JFK
    engine_run(warm_clip, args.model)
    # Frozen as the worker freezes its start-up objects (faster-whisper's gc.collect() on every
    # decode would walk them).
    gc.freeze()
    api = Api()
    quiet = {"before": wait_quiet()}
    load = {"before": os.getloadavg()[0]}
    before = engine_seconds(clip, args.model, args.engine_runs)
    print(f"engine: {before}")
    found = measure(api, clip, args.uploads, args.workers, warm_clip)
    for task in found["tasks"]:
        print(f"task {task['number']}: {task['completed']:.1f} s, {task['pieces']} piece(s)")
    quiet["after"] = wait_quiet()
    load["after"] = os.getloadavg()[0]
    after = engine_seconds(clip, args.model, args.engine_runs)
    print(f"engine after: {after}")
    shutil.rmtree(workdir, ignore_errors=True)
    table = render(
        found,
        {"before": before, "after": after},
        quiet,
        load,
        {
            "model": args.model,
            "seconds": seconds,
            "batched": batched,
            "threads": settings.MODEL_CPU_THREADS,
            "uploads": args.uploads,
            "workers": args.workers,
        },
    )
    print(f"\n{table}")
    if not args.no_write:
        write_section(HEADING, table)


def render(
    found: dict[str, Any],
    engine: dict[str, list[tuple[float, float]]],
    quiet: dict[str, float],
    load: dict[str, float],
    setup: dict[str, Any],
) -> str:
    engine_time = statistics.median(wall for runs in engine.values() for wall, _cpu in runs)
    uploads, workers = setup["uploads"], setup["workers"]
    last = max(task["end"] for task in found["tasks"])
    found_ratio = ratio(last, engine_time, uploads, workers)
    met = found_ratio <= TARGET_RATIO
    rounds = math.ceil(uploads / workers)
    lines = [
        HEADING,
        "",
        f"`make bench-scaling` (bench/scaling.py; {setup['model']}, cpu, "
        f"{setup['threads']} thread(s) per process, {os.cpu_count()} CPU cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC): {uploads} uploads of the *english* clip of "
        f"bench/speech_clips.py ({setup['seconds']:.0f} s) back to back on {workers} warm "
        f"worker processes (`transcription_worker --concurrency {workers}`), one user. Target: "
        f"the last completion (from the first upload's 202) <= {TARGET_RATIO} x "
        f"ceil({uploads}/{workers}) x the engine time. **{'Met' if met else 'Not met'}**: "
        f"{last:.1f} s against {rounds} x {engine_time:.1f} s, ratio {found_ratio:.3f}.",
        "",
        f"Engine alone (this process, warm, {'batched' if setup['batched'] else 'sequential'} "
        "decoder as a worker would choose), wall (CPU) seconds: "
        + "; ".join(
            f"{when} the workers "
            + ", ".join(f"{wall:.1f} s ({cpu:.1f} s)" for wall, cpu in engine[when])
            + f" (CPU use before {quiet[when]:.0%} of the cores, load average {load[when]:.2f})"
            for when in ("before", "after")
        )
        + f"; median {engine_time:.1f} s.",
        "",
        "| upload | 202 after the first | 202 -> started | 202 -> completed | worker's engine "
        "time | pieces (workers that ran them) | batched | worker |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in found["tasks"]:
        engine_s = task["worker_engine"]
        lines.append(
            f"| {task['number']} | {task['uploaded']:.2f} s | {task['started']:.1f} s | "
            f"{task['completed']:.1f} s | "
            f"{'-' if engine_s is None else f'{engine_s:.1f} s'} | "
            f"{task['pieces']} ({task['piece_workers']}) | "
            f"{'yes' if task['batched'] else 'no'} | {task['worker']} |"
        )
    lines += [
        "",
        f"Last completion {last:.1f} s after the first 202; CPU use before the uploads "
        f"{found['busy']:.0%} of the cores, load average (1 min) {found['load']:.2f} when they "
        f"started, {found['load_after']:.2f} at the end.",
        "",
        NOTES,
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
