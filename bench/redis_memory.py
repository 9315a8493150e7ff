"""Redis memory per queued transcription job, for docs/SCALING.md.

Run with `.venv/bin/python scripts/services.py -- .venv/bin/python bench/redis_memory.py [N]`
(a throwaway Redis). Enqueues N jobs (default 10 000) on the `media` queue exactly as
transcription.services.enqueue_task does (same function, arguments, job id, timeouts and TTLs;
an upload's stored name of today's length), reads `INFO memory` before and after, and prints
used_memory's growth per job. The jobs are deleted afterwards; no worker runs them.
"""

from __future__ import annotations

import os
import sys
import uuid

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
django.setup()

import django_rq  # noqa: E402
from django.conf import settings  # noqa: E402

from tasks_app.models import Kind  # noqa: E402
from transcription.services import (  # noqa: E402
    JOB_FOR_KIND,
    PATH_ARGUMENT_FOR_KIND,
    QUEUE_FOR_KIND,
    job_id_for,
)


def main(count: int) -> None:
    queue = django_rq.get_queue(QUEUE_FOR_KIND[Kind.TRANSCRIPTION])
    redis = queue.connection
    queue.empty()
    before = redis.info("memory")["used_memory"]
    for _ in range(count):
        task_id = uuid.uuid4()
        queue.enqueue(
            JOB_FOR_KIND[Kind.TRANSCRIPTION],
            task_id=str(task_id),
            **{PATH_ARGUMENT_FOR_KIND[Kind.TRANSCRIPTION]: f"uploads/{task_id}.flac"},
            job_id=job_id_for(task_id, 1, Kind.TRANSCRIPTION),
            job_timeout=settings.JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
        )
    after = redis.info("memory")["used_memory"]
    job = queue.fetch_job(queue.job_ids[0])
    hash_bytes = redis.memory_usage(job.key)
    queue.empty()
    version = redis.info("server")["redis_version"]
    print(
        f"{count} queued jobs: used_memory {before} -> {after} bytes, "
        f"{(after - before) / count:.0f} bytes per job "
        f"(one job's hash: MEMORY USAGE {hash_bytes} bytes; Redis {version})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
