from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcription import engine, worker

logger = logging.getLogger("transcription.worker")


class Command(BaseCommand):
    # The checks import every URL and so every view: tens of MiB a long-lived process never uses.
    requires_system_checks: list[str] = []
    help = (
        "Run transcription workers: a supervisor keeping --concurrency worker processes alive "
        "(one per GPU, or one per CPU core), each keeping its model loaded between jobs."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--gpu", help="GPU index or comma-separated indices to pin to")
        parser.add_argument("--queues", default=settings.WORKER_QUEUE)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=settings.WORKER_CONCURRENCY,
            help="worker processes (default: one per GPU, or one per CPU core)",
        )
        parser.add_argument(
            "--max-jobs",
            type=int,
            default=settings.WORKER_MAX_TASKS_PER_CHILD,
            help="restart a worker process after this many jobs (0: never)",
        )
        parser.add_argument(
            "--burst",
            action="store_true",
            help="one worker in this process that exits when the queues are empty",
        )
        parser.add_argument("--child", action="store_true", help="internal: one worker process")

    def handle(self, *args: Any, **options: Any) -> None:
        logging.getLogger("transcription").setLevel(settings.WORKER_LOG_LEVEL)
        queues = [name.strip() for name in options["queues"].split(",") if name.strip()]
        unknown = [name for name in queues if name not in settings.RQ_QUEUES]
        if unknown or not queues:
            raise CommandError(f"Unknown queue(s) {unknown}; known: {list(settings.RQ_QUEUES)}")
        gpus = [int(index) for index in options["gpu"].split(",")] if options["gpu"] else []
        if gpus and max(gpus) >= (visible := engine.cuda_device_count()):
            # Said now, not as a model load failing in every child the supervisor restarts.
            raise CommandError(
                f"--gpu {options['gpu']}: this host has {visible} CUDA device(s)"
                + (f", numbered 0 to {visible - 1}." if visible else ".")
            )
        max_jobs = options["max_jobs"] or None
        if options["child"] or options["burst"]:
            if gpus:
                os.environ["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
                settings.MODEL_DEVICE = "cuda"
                settings.MODEL_DEVICE_INDEX = gpus[0]
            worker.work(queues, burst=options["burst"], max_jobs=max_jobs)
            return
        if not gpus and settings.MODEL_DEVICE != "cpu":
            gpus = list(range(engine.cuda_device_count()))
            if not gpus and settings.MODEL_DEVICE == "cuda":
                raise CommandError("MODEL_DEVICE=cuda but no CUDA device is visible.")
        try:
            # Resolving here assembles a packaged model once, before the children race to it,
            # and says at startup, not at the first upload, that the default model is missing.
            location = engine.resolve_model(settings.MODEL_NAME)
            logger.info("Default model %s: %s", settings.MODEL_NAME, location.source)
        except engine.ModelUnavailable as exc:
            logger.error("%s Tasks using it will fail with MODEL_UNAVAILABLE.", exc.message)
        worker.supervise(queues, options["concurrency"], gpus, max_jobs)
