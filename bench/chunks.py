"""One long recording over idle workers (issue 18, item 2): a single 3-minute upload on one
worker against the same upload on two idle workers, which cut it into pieces at pauses
(transcription.pieces). Target: two workers finish in at most 0.6 x the one-worker time, with a
WER at most 0.01 above the one-worker transcript's.

Run with `make bench-chunks` (a throwaway PostgreSQL and Redis from scripts/services.py). The
recording is bench/speech_clips.py's *english* clip (185 s: six espeak-ng voices, jfk.flac twice,
pauses of 0.3-4 s), the reference its sentences. The workers are `manage.py
transcription_worker --concurrency N` as deployed, with the production model (`base`), decoder
choice and CHUNK_MIN_SECONDS; first one process, then two (each started, its model loaded and
warmed on jfk.flac before the measured upload). Each figure is from the API's 202 for the upload
to the task's `completed_at` (as in `make bench`), with the 1-minute load average when the run
started; prints the table and writes it to bench/RESULTS.md's section "One long recording over
idle workers".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import speech_clips  # noqa: E402 (after the path above)
from bench.results import write_section  # noqa: E402
from bench.run import JFK, JFK_TEXT, Api, epoch, setup_django  # noqa: E402

HEADING = "## One long recording over idle workers"
TARGET_RATIO = 0.6
NOTES = """\
How two workers share the recording: the task's own job decodes the file and runs the VAD over all
of it (about a second for 3 minutes) to choose the cuts, in pauses near even shares of its speech
(not of its length: silence costs little), two pieces per worker, queues the others and transcribes
its first at once; each worker decodes only its piece of the file, and whichever is done first
takes the next piece. Two per worker because a piece costs more or less than its share of the
speech says: the engine detects the language of every stretch (`language_plan`), and a stretch the
model is unsure of (some espeak-ng voices here) is detected again in halves, so what a piece costs
depends on how sure the model is of its voices, which no cut knows beforehand (cut in two by
speech, 65 and 69 s of speech took 34.4 and 23.3 s). The last column says where the time went
(seconds from the 202): the claim, each piece (its stretch, its speech, the engine's own time on
it, when it was done), the completion. On this 2-core machine shared with other sessions' work two
workers have two cores only when nothing else runs, while one worker leaves the other core to the
rest: read the ratio with the load average beside it."""
WER_TOLERANCE = 0.01


def start_workers(count: int) -> subprocess.Popen:
    """The worker supervisor with `count` processes, once every one is ready (model loaded)."""
    from transcription.models import WorkerProcess

    WorkerProcess.objects.all().delete()
    supervisor = subprocess.Popen(
        [sys.executable, "manage.py", "transcription_worker", "--concurrency", str(count)],
        cwd=ROOT,
        env=dict(os.environ),
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while WorkerProcess.objects.count() < count:
        if time.monotonic() > deadline or supervisor.poll() is not None:
            raise SystemExit(f"{count} worker process(es) did not start")
        time.sleep(0.5)
    return supervisor


def stop(supervisor: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(supervisor.pid, signal.SIGTERM)
    try:
        supervisor.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(supervisor.pid, signal.SIGKILL)
        supervisor.wait()


def measure(api: Api, count: int, clip: Path, runs: int) -> list[dict[str, float | str]]:
    """`runs` uploads of `clip`, one at a time, on `count` fresh, warm, idle workers."""
    from tasks_app.models import Task
    from tasks_app.services import load_result

    supervisor = start_workers(count)
    found: list[dict[str, float | str]] = []
    try:
        # Every process transcribes once before the measured upload (both warm, as deployed).
        for task_id in [api.upload(JFK)[0] for _ in range(count)]:
            api.wait_completed(task_id, timeout=300)
        for _ in range(runs):
            time.sleep(2)
            load = os.getloadavg()[0]
            task_id, accepted = api.upload(clip)
            task = api.wait_completed(task_id, timeout=900)
            row = Task.objects.get(pk=task_id)
            result = load_result(row)
            pieces = result["run"].get("pieces") or {}
            found.append(
                {
                    "seconds": epoch(task["completed_at"]) - accepted,
                    "text": result["text"],
                    "pieces": pieces.get("count", 1),
                    "workers": len(set(pieces.get("workers", []))) or 1,
                    "batched": result["run"].get("batched"),
                    "load": load,
                    "phases": phases(row, clip, accepted, epoch(task["completed_at"])),
                }
            )
            print(f"{count} worker(s): {found[-1]['seconds']:.1f} s, {found[-1]['pieces']} pieces")
    finally:
        stop(supervisor)
    return found


def phases(task: Any, clip: Path, accepted: float, completed: float) -> str:
    """Where the time from the 202 went: the claim, then each piece (its stretch of the
    recording, seconds of speech in it, the engine's own wall time on it, when it was done),
    then the completion; all from the API's 202."""
    from transcription import engine
    from transcription.models import Piece

    parts = [f"claimed +{task.started_at.timestamp() - accepted:.1f}"]
    rows = list(Piece.objects.filter(task=task).order_by("index"))
    regions = engine.speech_regions(engine.decode(clip))
    for piece in rows:
        speech = sum(max(0.0, min(e, piece.end) - max(s, piece.start)) for s, e in regions)
        wall = ((piece.result or {}).get("run") or {}).get("wall_seconds") or 0.0
        parts.append(
            f"{piece.start:.0f}-{piece.end:.0f} s ({speech:.0f} s speech): {wall:.1f} s, "
            f"done +{piece.beat_at.timestamp() - accepted:.1f}"
        )
    parts.append(f"completed +{completed - accepted:.1f}")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=os.environ.get("MODEL_NAME", "base"))
    parser.add_argument("--runs", type=int, default=1, help="measured uploads per worker count")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make bench-chunks` (scripts/services.py, the servers).")
    setup_django(args.model)
    # The production decoder choice (bench.run.setup_django keeps make bench's sequential one).
    os.environ.pop("BATCHED_LONG_SECONDS", None)
    clip, reference = speech_clips.build("english", JFK, JFK_TEXT)
    api = Api()
    one = measure(api, 1, clip, args.runs)
    two = measure(api, 2, clip, args.runs)
    table = render(one, two, clip, reference, args.model)
    print(f"\n{table}")
    if not args.no_write:
        write_section(HEADING, table)


def render(
    one: list[dict[str, float | str]],
    two: list[dict[str, float | str]],
    clip: Path,
    reference: str,
    model: str,
) -> str:
    from transcription.engine import SAMPLE_RATE, decode

    seconds = len(decode(clip)) / SAMPLE_RATE
    single = statistics.median(float(run["seconds"]) for run in one)
    spread = statistics.median(float(run["seconds"]) for run in two)
    for run in [*one, *two]:
        run["wer"] = speech_clips.word_error_rate(reference, str(run["text"]))
    wer_one = statistics.median(float(run["wer"]) for run in one)
    wer_two = statistics.median(float(run["wer"]) for run in two)
    ratio = spread / single
    met = ratio <= TARGET_RATIO and wer_two <= wer_one + WER_TOLERANCE
    lines = [
        HEADING,
        "",
        f"`make bench-chunks` (bench/chunks.py; {model}, cpu, {os.cpu_count()} CPU cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC): the *english* clip of bench/speech_clips.py "
        f"({seconds:.0f} s) uploaded once on one worker process, then once on two idle ones "
        "(`transcription_worker --concurrency N`, warm), from the API's 202 to `completed_at`. "
        f"Target: two workers <= {TARGET_RATIO} x one, WER at most {WER_TOLERANCE} above the "
        f"one-worker transcript's. **{'Met' if met else 'Not met'}**: ratio {ratio:.2f}, WER "
        f"{wer_two:.3f} against {wer_one:.3f}.",
        "",
        "| workers | pieces (workers that ran them) | batched decoder | upload -> completed | "
        "WER | load average (1 min) | where the time went (s from the 202) |",
        "|---|---|---|---|---|---|---|",
    ]
    for count, runs in ((1, one), (2, two)):
        for run in runs:
            lines.append(
                f"| {count} | {run['pieces']} ({run['workers']}) | "
                f"{'yes' if run['batched'] else 'no'} | {float(run['seconds']):.1f} s | "
                f"{float(run['wer']):.3f} | {float(run['load']):.2f} | {run['phases']} |"
            )
    return "\n".join([*lines, "", NOTES]) + "\n"


if __name__ == "__main__":
    main()
