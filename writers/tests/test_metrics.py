from __future__ import annotations

from datetime import timedelta

import django_rq
import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from conftest import make_user
from tasks_app.models import Kind, Status, Task
from writers import metrics


@pytest.fixture(autouse=True)
def _clean_redis(db, settings):
    # With neither a token nor networks /metrics is closed outside DEBUG; the test client is local.
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    connection = metrics._redis()
    for key in connection.scan_iter(match=f"{metrics.PREFIX}:*"):
        connection.delete(key)
    for name in metrics.QUEUES:
        django_rq.get_queue(name).empty()


def scrape(client: Client, **headers: str) -> dict[str, list]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def value(samples: dict[str, list], name: str, **labels: str) -> float:
    matching = [
        s.value for s in samples[name] if all(s.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(matching) == 1, (name, labels, samples.get(name))
    return matching[0]


def test_it_exports_django_and_writers_metrics(client: Client):
    samples = scrape(client)
    assert "django_http_requests_before_middlewares_total" in samples
    assert "writers_workers_alive" in samples


def test_it_counts_tasks_by_status_and_kind(client: Client):
    alice = make_user(name="alice")
    Task.objects.create(user=alice, title="a", kind=Kind.TODO)
    Task.objects.create(user=alice, title="b", kind=Kind.TRANSCRIPTION, status=Status.FAILED)
    Task.objects.create(user=alice, title="c", kind=Kind.TRANSCRIPTION, status=Status.FAILED)
    samples = scrape(client)
    assert value(samples, "writers_tasks", status="FAILED", kind="transcription") == 2
    assert value(samples, "writers_tasks", status="PENDING", kind="todo") == 1


def test_it_reports_queue_depth_and_oldest_age(client: Client):
    queue = django_rq.get_queue("media")
    # The oldest job's age is reported, not the newest one's.
    oldest = queue.enqueue("builtins.print", "waiting")
    oldest.enqueued_at = timezone.now() - timedelta(minutes=5)
    oldest.save()
    queue.enqueue("builtins.print", "newer")
    samples = scrape(client)
    assert value(samples, "writers_queue_depth", queue="media") == 2
    assert value(samples, "writers_queue_depth", queue="default") == 0
    age = value(samples, "writers_queue_oldest_age_seconds", queue="media")
    assert age == pytest.approx(300, abs=30)
    assert value(samples, "writers_queue_oldest_age_seconds", queue="default") == 0


def test_it_builds_job_histograms_from_what_workers_publish(client: Client):
    metrics.observe_job("tiny.en", "cpu", wall_seconds=0.6, real_time_factor=18.0)
    metrics.observe_job("tiny.en", "cpu", wall_seconds=40, real_time_factor=4.0)
    metrics.count_failure("DECODE_ERROR")
    metrics.count_recovery("requeued")
    metrics.count_attempt()
    metrics.count_leftovers(2)
    samples = scrape(client)
    labels = {"model": "tiny.en", "device": "cpu"}
    assert value(samples, "writers_job_duration_seconds_count", **labels) == 2
    assert value(samples, "writers_job_duration_seconds_bucket", le="1.0", **labels) == 1
    assert value(samples, "writers_job_duration_seconds_bucket", le="60.0", **labels) == 2
    assert value(samples, "writers_job_real_time_factor_sum", **labels) == 22.0
    assert value(samples, "writers_task_failures_total", code="DECODE_ERROR") == 1
    assert value(samples, "writers_sweeper_recoveries_total", action="requeued") == 1
    assert value(samples, "writers_attempts_total") == 1
    assert value(samples, "writers_leftover_files_removed_total") == 2


def test_it_reports_worker_ram_and_gpu(client: Client):
    metrics.publish_worker(
        "gpu-host-0",
        {
            "model": "base",
            "ram_bytes": 2048,
            "gpu": 0,
            "vram_used_bytes": 10,
            "vram_total_bytes": 100,
            "gpu_utilization": 50.0,
        },
    )
    samples = scrape(client)
    assert value(samples, "writers_workers_alive") == 1
    assert value(samples, "writers_worker_ram_bytes", worker="gpu-host-0") == 2048
    assert value(samples, "writers_worker_vram_total_bytes", worker="gpu-host-0", gpu="0") == 100
    assert (
        value(samples, "writers_worker_gpu_utilization_ratio", worker="gpu-host-0", gpu="0") == 0.5
    )
    assert value(samples, "writers_worker_heartbeat_age_seconds", worker="gpu-host-0") < 5


def test_it_counts_stuck_tasks(client: Client, settings):
    from datetime import timedelta

    from django.utils import timezone

    alice = make_user(name="alice")
    Task.objects.create(
        user=alice,
        title="stuck",
        kind=Kind.TRANSCRIPTION,
        status=Status.PROCESSING,
        heartbeat_at=timezone.now() - timedelta(seconds=settings.HEARTBEAT_GRACE_SECONDS + 5),
    )
    assert value(scrape(client), "writers_stuck_tasks") == 1


def test_it_requires_the_token_when_one_is_set(client: Client, settings):
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert "writers_workers_alive" in scrape(client, HTTP_AUTHORIZATION="Bearer s3cret")


def test_it_refuses_addresses_outside_the_allowed_networks(client: Client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.1").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_it_is_closed_without_a_token_or_networks_unless_debug(client: Client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 403
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200
