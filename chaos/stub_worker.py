"""`python -m chaos.stub_worker ARGS`: `manage.py transcription_worker ARGS` with the chaos stub
engine (test-only).

Everything but the engine call is the production worker: the supervisor, its restarts, the
claim, heartbeats, the sweeper's takeovers. The supervisor's children start through this module
too, so a restarted child also gets the stub. `CHAOS_ENGINE=real` keeps the real engine;
`CHAOS_STUB_WRITE_PAUSE` holds every atomic write before its rename (chaos.stub), either way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence


def child_command(queues: Sequence[str], max_jobs: int | None) -> list[str]:
    command = [sys.executable, "-m", "chaos.stub_worker", "--child", "--queues", ",".join(queues)]
    if max_jobs:
        command += ["--max-jobs", str(max_jobs)]
    return command


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from chaos import stub
    from transcription import engine, worker

    if os.environ.get("CHAOS_ENGINE", "stub") == "stub":
        engine.transcribe = stub.transcribe
        # The stub needs no model; loading one would only slow every restart down.
        worker.preload = lambda model_name: None
    if pause := float(os.environ.get("CHAOS_STUB_WRITE_PAUSE") or 0):
        stub.pause_before_rename(pause)
    worker.child_command = child_command
    call_command("transcription_worker", *argv)


if __name__ == "__main__":
    main(sys.argv[1:])
