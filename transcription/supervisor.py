"""The worker supervisor: keeps the worker processes running, and nothing else.

`manage.py transcription_worker` checks its arguments with Django, then replaces itself (exec)
with this file run as a script: `python -P transcription/supervisor.py [--gpus 0,1]
[--concurrency N] [--log-level L] -- CHILD COMMAND…`. It imports only the standard library, so
the process that lives as long as the deployment holds no copy of Django (about 8 MiB instead of
55, issue 18's "Lighter processes"). Children start fresh (subprocess: fork and exec at once),
never as forks of a process that loaded a model (ENGINE-FACTS.md).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger("transcription.worker")

# A child that dies sooner than this after starting is restarted after a pause, not at once.
CRASH_LOOP_SECONDS = 10


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Slot:
    """One supervised child process and the GPU it is pinned to (None on CPU)."""

    gpu: int | None
    process: subprocess.Popen | None = None
    started: float = 0.0
    restart_at: float = 0.0
    crashes: int = 0


def plan_slots(concurrency: int, gpus: Sequence[int]) -> list[Slot]:
    """Children round-robin over `gpus`; without GPUs, one CPU child per core by default."""
    if gpus:
        count = concurrency or len(gpus)
        return [Slot(gpu=gpus[i % len(gpus)]) for i in range(count)]
    return [Slot(gpu=None) for _ in range(concurrency or cpu_count())]


def child_env(slot: Slot) -> dict[str, str]:
    env = dict(os.environ)
    if slot.gpu is None:
        env["MODEL_DEVICE"] = "cpu"
    else:
        # CUDA numbers devices fastest first unless told otherwise; PCI bus order matches NVML,
        # so the GPU index in logs and the card the model runs on are the same.
        env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
        env["MODEL_DEVICE"] = "cuda"
        env["MODEL_DEVICE_INDEX"] = str(slot.gpu)
    return env


def arguments(
    command: Sequence[str], concurrency: int, gpus: Sequence[int], log_level: str
) -> list[str]:
    """The argv that runs this supervisor for `command` (the inverse of `main`'s parsing)."""
    found = [sys.executable, "-P", os.path.abspath(__file__), "--concurrency", str(concurrency)]
    if gpus:
        found += ["--gpus", ",".join(str(gpu) for gpu in gpus)]
    return [*found, "--log-level", log_level, "--", *command]


def supervise(command: Sequence[str], concurrency: int, gpus: Sequence[int]) -> int:
    """Keep `concurrency` children running `command` until SIGTERM/SIGINT, then stop them
    warmly (a second signal kills them)."""
    slots = plan_slots(concurrency, gpus)
    stopping = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        if stopping.is_set():
            for slot in slots:
                if slot.process and slot.process.poll() is None:
                    slot.process.kill()
        stopping.set()
        for slot in slots:
            if slot.process and slot.process.poll() is None:
                slot.process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    logger.info(
        "Supervising %d worker process(es) on %s: %s",
        len(slots),
        ", ".join(f"GPU {g}" for g in gpus) if gpus else "CPU",
        " ".join(command[-4:]),
    )
    while not stopping.is_set():
        now = time.monotonic()
        for number, slot in enumerate(slots):
            if slot.process is not None:
                code = slot.process.poll()
                if code is None:
                    continue
                lived = now - slot.started
                slot.crashes = slot.crashes + 1 if code != 0 and lived < CRASH_LOOP_SECONDS else 0
                slot.restart_at = now + min(2**slot.crashes, 60) if slot.crashes else now
                logger.log(
                    logging.INFO if code == 0 else logging.WARNING,
                    "Worker %d (pid %d) exited with %s after %.0fs; restarting",
                    number,
                    slot.process.pid,
                    code,
                    lived,
                )
                slot.process = None
            if now >= slot.restart_at:
                slot.process = subprocess.Popen(command, env=child_env(slot))
                slot.started = now
        stopping.wait(0.5)
    for slot in slots:
        if slot.process is not None:
            slot.process.wait()
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="transcription/supervisor.py")
    parser.add_argument("--concurrency", type=int, default=0)
    parser.add_argument("--gpus", default="")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("command", nargs="+")
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=options.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=sys.stderr,
    )
    gpus = [int(gpu) for gpu in options.gpus.split(",") if gpu]
    return supervise(options.command, options.concurrency, gpus)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
