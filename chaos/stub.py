"""A fake engine for the chaos suite (test-only): deterministic segments at a set speed.

The chaos scenarios run hundreds of jobs while killing workers; the real model would spend most
of the run decoding. This stands in for `transcription.engine.transcribe` in workers started by
`chaos.stub_worker` and keeps its contract: it reads the upload (a missing file fails like the
engine's), calls `on_segment` after every segment with the partial result (so heartbeats,
partial saves, cancellation and takeover checks all run), and returns the result document.

Environment: `CHAOS_STUB_SECONDS` (wall time of one job, default 0.5) and `CHAOS_STUB_SEGMENTS`
(default 5). A file containing `POISON_MARKER` kills its worker process with SIGKILL, every
time: the poison-file scenario. `CHAOS_STUB_WRITE_PAUSE` (seconds, default none) holds every
atomic write between writing its temporary file and renaming it (`pause_before_rename`), so a
scenario can kill a worker inside that window.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tasks_app import storage

POISON_MARKER = b"CHAOS-POISON"
STUB_DURATION_SECONDS = 11.0


def transcribe(
    audio_path: Path,
    options: Any,
    *,
    task_id: str = "",
    on_segment: Callable[[dict[str, Any]], None] | None = None,
    resume_from: dict[str, Any] | None = None,
) -> dict[str, Any]:
    # `resume_from` is accepted and ignored: the stub always starts over (resuming is measured
    # with the real model, chaos.scenarios.resume_after_kill).
    from tasks_app.models import Task
    from transcription import engine

    path = Path(audio_path)
    if not path.is_file():
        raise engine.FileMissing("The uploaded file is missing; upload it again.")
    if POISON_MARKER in path.read_bytes():
        os.kill(os.getpid(), signal.SIGKILL)
    seconds = float(os.environ.get("CHAOS_STUB_SECONDS", "0.5"))
    count = max(int(os.environ.get("CHAOS_STUB_SEGMENTS", "5")), 1)
    # Which attempt wrote a result: the scenarios check that a late attempt's writes lost.
    attempt = Task.objects.values_list("attempts", flat=True).filter(pk=task_id).first()
    step = STUB_DURATION_SECONDS / count
    result: dict[str, Any] = {
        "task_id": task_id,
        "partial": True,
        "text": "",
        "language": "en",
        "language_probability": 1.0,
        "duration": STUB_DURATION_SECONDS,
        "confidence": None,
        "segments": [],
        "run": {
            "model": "stub",
            "compute_type": "none",
            "device": "cpu",
            "gpu_name": None,
            "versions": {},
            "options": {},
            "attempt": attempt,
            "pid": os.getpid(),
            "wall_seconds": None,
            "real_time_factor": None,
        },
    }
    started = time.monotonic()
    for index in range(count):
        time.sleep(seconds / count)
        result["segments"].append(
            {
                "id": index,
                "start": round(index * step, 3),
                "end": round((index + 1) * step, 3),
                "text": f"segment {index}",
                "avg_logprob": -0.1,
                "compression_ratio": 1.0,
                "no_speech_prob": 0.0,
            }
        )
        result["text"] = " ".join(segment["text"] for segment in result["segments"])
        result["processed_seconds"] = (index + 1) * step
        if on_segment is not None:
            on_segment(result)
    wall = time.monotonic() - started
    result["partial"] = False
    result["confidence"] = 0.9
    result["run"]["wall_seconds"] = round(wall, 3)
    result["run"]["real_time_factor"] = round(STUB_DURATION_SECONDS / wall, 2) if wall else None
    return result


def pause_before_rename(seconds: float) -> None:
    """Make every `storage.atomic_write` in this process wait `seconds` once its temporary file
    is written and closed, before renaming it: the window a killed writer leaves a file in."""
    write = storage.atomic_write

    @contextlib.contextmanager
    def paused(target: Path) -> Iterator[Path]:
        with write(target) as temporary:
            yield temporary
            time.sleep(seconds)

    storage.atomic_write = paused
