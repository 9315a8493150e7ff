"""Writers' own Prometheus metrics, exported by the web at /metrics next to django-prometheus.

Workers run in other processes and containers, so they publish through Redis: each finished job
adds to histogram buckets and counters kept in Redis hashes, and each worker keeps a short-lived
hash with its RAM and GPU readings. The web reads those, the task table and the queues at scrape
time. A lost Redis resets the counters, which Prometheus treats as a counter reset.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator
from datetime import timedelta

import prometheus_client
from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq.job import Job

from tasks_app.models import Status, Task
from writers import queues

logger = logging.getLogger(__name__)

PREFIX = "writers:metrics"
WORKER_KEY = f"{PREFIX}:worker:"
WORKER_TTL_SECONDS = 120
QUEUES = ("media", "default")
DURATION_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0)
RTF_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)


def _redis():  # noqa: ANN202 (a redis.Redis; typed loosely to keep rq's stubs out)
    return queues.connection("default")


def _safely(action: str, *commands: tuple[str, tuple]) -> None:
    """Run Redis commands in one round trip; metrics never break the work they measure."""
    try:
        pipe = _redis().pipeline(transaction=False)
        for name, args in commands:
            getattr(pipe, name)(*args)
        pipe.execute()
    except RedisError as exc:
        logger.warning("could not record metric %s: %s", action, exc)


def _bucket_commands(key: str, value: float, buckets: Iterable[float]) -> list[tuple[str, tuple]]:
    commands = [("hincrbyfloat", (key, "sum", value)), ("hincrby", (key, "count", 1))]
    commands += [("hincrby", (key, f"le:{b}", 1)) for b in buckets if value <= b]
    return commands


def observe_job(model: str, device: str, wall_seconds: float, real_time_factor: float) -> None:
    labels = f"{model}|{device}"
    _safely(
        "job",
        ("sadd", (f"{PREFIX}:job_labels", labels)),
        *_bucket_commands(f"{PREFIX}:duration:{labels}", wall_seconds, DURATION_BUCKETS),
        *_bucket_commands(f"{PREFIX}:rtf:{labels}", real_time_factor, RTF_BUCKETS),
    )


def count_attempt() -> None:
    _safely("attempt", ("incr", (f"{PREFIX}:attempts",)))


def count_failure(code: str) -> None:
    _safely("failure", ("hincrby", (f"{PREFIX}:failures", code, 1)))


def count_recovery(action: str) -> None:
    _safely("recovery", ("hincrby", (f"{PREFIX}:recoveries", action, 1)))


def count_integration_error(stage: str) -> None:
    """One integrations tick step (an event, a delivery, a mail, retention) that raised."""
    _safely("integration_error", ("hincrby", (f"{PREFIX}:integration_errors", stage, 1)))


def count_leftovers(files: int) -> None:
    _safely("leftovers", ("incrby", (f"{PREFIX}:leftovers", files)))


def publish_worker(name: str, readings: dict[str, float | str]) -> None:
    key = WORKER_KEY + name
    _safely(
        "worker",
        *[("hset", (key, field, value)) for field, value in readings.items()],
        ("hset", (key, "heartbeat", time.time())),
        ("expire", (key, WORKER_TTL_SECONDS)),
    )


def live_workers() -> list[dict[str, str]]:
    """Readings of every worker that reported within the TTL (the key expires otherwise)."""
    connection = _redis()
    workers = []
    for key in connection.scan_iter(match=f"{WORKER_KEY}*", count=100):
        data = {k.decode(): v.decode() for k, v in connection.hgetall(key).items()}
        if data:
            workers.append({"name": key.decode()[len(WORKER_KEY) :], **data})
    return workers


class WritersCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self._tasks()
        try:
            connection = _redis()
            yield from self._queues(connection)
            yield from self._jobs(connection)
            yield from self._workers()
        except RedisError as exc:
            logger.warning("metrics: Redis unavailable: %s", exc)

    def _tasks(self) -> Iterator[Metric]:
        tasks = GaugeMetricFamily(
            "writers_tasks", "Tasks by status and kind", labels=["status", "kind"]
        )
        rows = Task.objects.alive().values("status", "kind").annotate(n=Count("id"))
        for row in rows:
            tasks.add_metric([row["status"], row["kind"]], row["n"])
        yield tasks
        cutoff = timezone.now() - timedelta(seconds=settings.HEARTBEAT_GRACE_SECONDS)
        stuck = Task.objects.filter(status=Status.PROCESSING, heartbeat_at__lt=cutoff).count()
        yield GaugeMetricFamily(
            "writers_stuck_tasks", "Tasks processing without a recent heartbeat", value=stuck
        )

    def _queues(self, connection: object) -> Iterator[Metric]:
        depth = GaugeMetricFamily("writers_queue_depth", "Jobs waiting", labels=["queue"])
        oldest = GaugeMetricFamily(
            "writers_queue_oldest_age_seconds", "Age of the oldest waiting job", labels=["queue"]
        )
        now = timezone.now()
        for name in QUEUES:
            queue = queues.queue(name)
            depth.add_metric([name], queue.count)
            age = 0.0
            # The head of the queue, its oldest job (a length of 0 would return none).
            for job_id in queue.get_job_ids(0, 1):
                job = Job.fetch(job_id, connection=queue.connection)
                if job.enqueued_at:
                    enqueued = job.enqueued_at
                    if timezone.is_naive(enqueued):
                        enqueued = timezone.make_aware(enqueued, timezone.utc)
                    age = max(0.0, (now - enqueued).total_seconds())
            oldest.add_metric([name], age)
        yield depth
        yield oldest

    def _jobs(self, connection) -> Iterator[Metric]:  # noqa: ANN001
        duration = HistogramMetricFamily(
            "writers_job_duration_seconds",
            "Wall time of completed jobs",
            labels=["model", "device"],
        )
        rtf = HistogramMetricFamily(
            "writers_job_real_time_factor",
            "Audio seconds per wall second of completed jobs",
            labels=["model", "device"],
        )
        for raw in sorted(connection.smembers(f"{PREFIX}:job_labels")):
            labels = raw.decode().split("|", 1)
            for family, key, buckets in (
                (duration, "duration", DURATION_BUCKETS),
                (rtf, "rtf", RTF_BUCKETS),
            ):
                data = {
                    k.decode(): float(v)
                    for k, v in connection.hgetall(f"{PREFIX}:{key}:{raw.decode()}").items()
                }
                family.add_metric(
                    labels,
                    [(str(b), data.get(f"le:{b}", 0)) for b in buckets]
                    + [("+Inf", data.get("count", 0))],
                    data.get("sum", 0),
                )
        yield duration
        yield rtf
        failures = CounterMetricFamily(
            "writers_task_failures", "Failed attempts by error code", labels=["code"]
        )
        for code, n in connection.hgetall(f"{PREFIX}:failures").items():
            failures.add_metric([code.decode()], int(n))
        yield failures
        recoveries = CounterMetricFamily(
            "writers_sweeper_recoveries", "Tasks the sweeper recovered", labels=["action"]
        )
        for action, n in connection.hgetall(f"{PREFIX}:recoveries").items():
            recoveries.add_metric([action.decode()], int(n))
        yield recoveries
        integration_errors = CounterMetricFamily(
            "writers_integration_errors",
            "Integrations tick steps that raised and were skipped",
            labels=["stage"],
        )
        for stage, n in connection.hgetall(f"{PREFIX}:integration_errors").items():
            integration_errors.add_metric([stage.decode()], int(n))
        yield integration_errors
        yield CounterMetricFamily(
            "writers_leftover_files_removed",
            "Temporary files of killed writers removed (by the sweeper or a starting worker)",
            value=int(connection.get(f"{PREFIX}:leftovers") or 0),
        )
        yield CounterMetricFamily(
            "writers_attempts",
            "Attempts started",
            value=int(connection.get(f"{PREFIX}:attempts") or 0),
        )

    def _workers(self) -> Iterator[Metric]:
        heartbeat = GaugeMetricFamily(
            "writers_worker_heartbeat_age_seconds",
            "Seconds since a worker reported",
            labels=["worker"],
        )
        ram = GaugeMetricFamily("writers_worker_ram_bytes", "Worker RSS", labels=["worker"])
        vram_used = GaugeMetricFamily(
            "writers_worker_vram_used_bytes", "GPU memory used", labels=["worker", "gpu"]
        )
        vram_total = GaugeMetricFamily(
            "writers_worker_vram_total_bytes", "GPU memory", labels=["worker", "gpu"]
        )
        util = GaugeMetricFamily(
            "writers_worker_gpu_utilization_ratio", "GPU utilisation", labels=["worker", "gpu"]
        )
        alive = 0
        now = time.time()
        for data in live_workers():
            name = data["name"]
            age = max(0.0, now - float(data.get("heartbeat", 0)))
            alive += age < WORKER_TTL_SECONDS
            heartbeat.add_metric([name], age)
            if "ram_bytes" in data:
                ram.add_metric([name], float(data["ram_bytes"]))
            if "gpu" in data:
                gpu = [name, data["gpu"]]
                vram_used.add_metric(gpu, float(data.get("vram_used_bytes", 0)))
                vram_total.add_metric(gpu, float(data.get("vram_total_bytes", 0)))
                util.add_metric(gpu, float(data.get("gpu_utilization", 0)) / 100)
        yield from (heartbeat, ram, vram_used, vram_total, util)
        yield GaugeMetricFamily("writers_workers_alive", "Workers reporting", value=alive)


def has_metrics_token(request: HttpRequest) -> bool:
    """`Authorization: Bearer <METRICS_TOKEN>`, when a token is set."""
    expected = f"Bearer {settings.METRICS_TOKEN}"
    header = request.headers.get("Authorization", "")
    return bool(settings.METRICS_TOKEN) and hmac.compare_digest(header.encode(), expected.encode())


def _allowed(request: HttpRequest) -> bool:
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        # Open only in development: the metrics name workers, hosts and queues, and a web port
        # reachable from the network (or by every local user) must not tell them to anyone.
        return settings.DEBUG
    if settings.METRICS_TOKEN and not has_metrics_token(request):
        return False
    if settings.METRICS_ALLOWED_NETWORKS:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", "0.0.0.0"))  # noqa: S104
        networks = [
            ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS
        ]
        return any(address in network for network in networks)
    return True


def metrics_view(request: HttpRequest) -> HttpResponse:
    """django-prometheus' metrics (all gunicorn workers when multiprocess) plus Writers' own."""
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = prometheus_client.generate_latest(registry)
    else:
        body = prometheus_client.generate_latest(prometheus_client.REGISTRY)
    own = prometheus_client.CollectorRegistry()
    own.register(WritersCollector())
    body += prometheus_client.generate_latest(own)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
