"""Liveness and readiness for load balancers, orchestrators and people."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tasks_app import blobs
from writers import queues
from writers.metrics import has_metrics_token, live_workers


@require_GET
@never_cache
def live(request: HttpRequest) -> JsonResponse:
    """The process answers: no database, no Redis, nothing that could be slow."""
    return JsonResponse({"status": "ok"})


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def _redis() -> str:
    queues.connection("media").ping()
    return "pong"


def _storage() -> str:
    # A tiny write, on the disk or (STORAGE_BACKEND=s3) in the bucket, within a short timeout.
    return blobs.check()


def _workers() -> str:
    ready = [worker["name"] for worker in live_workers() if worker.get("model")]
    if not ready:
        raise RuntimeError("no worker alive with its model loaded")
    return f"{len(ready)} ready: {', '.join(sorted(ready))}"


CHECKS: dict[str, Callable[[], str]] = {
    "database": _database,
    "redis": _redis,
    "storage": _storage,
    "workers": _workers,
}


def shows_details(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and user.is_staff) or has_metrics_token(request)


@require_GET
@never_cache
def ready(request: HttpRequest) -> JsonResponse:
    """Each dependency with its status and latency; 503 as soon as one is not ready. What each
    check found (the storage path, worker host names, an error's text) only for staff or with
    the metrics token: the endpoint is open to anyone who can reach it."""
    detailed = shows_details(request)
    checks = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail, ok = check(), True
        except Exception as exc:  # any failure of a dependency is "not ready", never a 500
            detail, ok = f"{type(exc).__name__}: {exc}", False
        checks[name] = {
            "status": "ok" if ok else "error",
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if detailed:
            checks[name]["detail"] = detail
    healthy = all(check["status"] == "ok" for check in checks.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "storage_backend": blobs.backend(),
            "checks": checks,
        },
        status=200 if healthy else 503,
    )
