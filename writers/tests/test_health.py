from __future__ import annotations

import pytest
from django.test import Client

from scripts.services import free_port
from writers import metrics


@pytest.fixture(autouse=True)
def _clean_worker_keys(db):
    connection = metrics._redis()
    for key in connection.scan_iter(match=f"{metrics.PREFIX}:*"):
        connection.delete(key)


def test_it_answers_liveness_without_touching_dependencies(
    client: Client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_it_is_not_ready_without_a_worker(client: Client):
    response = client.get("/health/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["redis"]["status"] == "ok"
    assert checks["storage"]["status"] == "ok"
    assert checks["workers"]["status"] == "error"
    assert all("latency_ms" in check for check in checks.values())


def test_it_is_ready_when_a_worker_has_its_model(client: Client, staff):
    metrics.publish_worker("host-cpu-1", {"model": "tiny.en", "ram_bytes": 1024})
    client.force_login(staff)
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["workers"]["detail"] == "1 ready: host-cpu-1"


def test_it_tells_anonymous_callers_no_paths_hosts_or_errors(client: Client, settings, alice):
    metrics.publish_worker("host-cpu-1", {"model": "tiny.en", "ram_bytes": 1024})
    settings.STORAGE_ROOT = settings.STORAGE_ROOT / "does-not-exist"
    settings.METRICS_TOKEN = "s3cret"
    for caller in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}):
        body = client.get("/health/ready", **caller).content.decode()
        assert "host-cpu-1" not in body
        assert "does-not-exist" not in body
        assert "Error" not in body
        assert '"storage": {"status": "error"' in body
    client.force_login(alice)  # signed in, but not staff
    assert "host-cpu-1" not in client.get("/health/ready").content.decode()


def test_it_gives_details_with_the_metrics_token(client: Client, settings):
    metrics.publish_worker("host-cpu-1", {"model": "tiny.en", "ram_bytes": 1024})
    settings.METRICS_TOKEN = "s3cret"
    response = client.get("/health/ready", HTTP_AUTHORIZATION="Bearer s3cret")
    checks = response.json()["checks"]
    assert checks["workers"]["detail"] == "1 ready: host-cpu-1"
    assert checks["storage"]["detail"] == str(settings.STORAGE_ROOT)


def test_it_reports_redis_down_as_unavailable(client: Client, settings):
    nobody_listens = f"redis://127.0.0.1:{free_port()}/0"
    settings.RQ_QUEUES = {
        name: {"URL": nobody_listens, "SOCKET_CONNECT_TIMEOUT": 0.5}
        for name in ("media", "default")
    }
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["status"] == "error"


def test_it_reports_unwritable_storage(client: Client, settings, tmp_path):
    settings.STORAGE_ROOT = tmp_path / "does-not-exist"
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "error"


def test_it_checks_the_bucket_when_the_store_is_s3_and_says_so(client: Client, s3, settings):
    metrics.publish_worker("host-cpu-1", {"model": "tiny.en", "ram_bytes": 1024})
    settings.METRICS_TOKEN = "s3cret"
    response = client.get("/health/ready", HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 200
    body = response.json()
    assert body["storage_backend"] == "s3"
    assert body["checks"]["storage"]["detail"].startswith(f"s3://{settings.S3_BUCKET}/")
    # The check's probe object is removed again.
    from tasks_app import blobs

    assert list(blobs.listing("health")) == []


def test_it_reports_an_unreachable_bucket_as_unavailable(client: Client, s3_down, settings):
    metrics.publish_worker("host-cpu-1", {"model": "tiny.en", "ram_bytes": 1024})
    s3_down()
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["storage_backend"] == "s3"
    assert response.json()["checks"]["storage"]["status"] == "error"
