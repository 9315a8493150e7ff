"""Webhooks: signed task events posted by the integrations tick to a real local HTTP server,
retried with backoff, logged for their owner, and never sent to private addresses unasked."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from conftest import make_user
from tasks_app.integrations.events import tick
from tasks_app.integrations.models import TaskEvent, Webhook, WebhookDelivery
from tasks_app.integrations.webhooks import create_webhook
from tasks_app.models import Kind, Status, Task

WEBHOOKS = "/api/v1/webhooks"


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/writers?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def api(user: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(**bearer(issue_tokens(user)[0]))
    return client


def finished(user: Any, status: str = Status.COMPLETED, **fields: Any) -> Task:
    if status == Status.COMPLETED:
        fields.setdefault("completed_at", timezone.now())
    return Task.objects.create(
        user=user,
        title="Interview",
        kind=Kind.TRANSCRIPTION,
        file_path="uploads/x.flac",
        status=status,
        attempts=1,
        **fields,
    )


def test_it_creates_a_webhook_with_a_secret(alice: Any, receiver: Receiver) -> None:
    response = api(alice).post(WEBHOOKS, {"url": receiver.url}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"] == receiver.url and len(body["secret"]) == 64
    assert api(alice).get(WEBHOOKS).json()["webhooks"][0]["id"] == body["id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fd00::1]/hook",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "ftp://example.org/hook",
        "not a url",
    ],
)
def test_it_refuses_urls_that_are_not_public(alice: Any, url: str) -> None:
    response = api(alice).post(WEBHOOKS, {"url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Webhook.objects.exists()


def test_it_posts_a_signed_event_when_a_task_completes(alice: Any, receiver: Receiver) -> None:
    webhook = create_webhook(alice, receiver.url)
    task = finished(alice)
    report = tick()
    assert (report.events, report.deliveries) == (1, 1)

    [request] = receiver.requests
    assert request["path"] == "/hooks/writers?x=1"
    payload = json.loads(request["body"])
    assert set(payload) == {"id", "status", "event", "timestamp"}
    assert (payload["id"], payload["status"], payload["event"]) == (
        str(task.pk),
        "COMPLETED",
        "task.completed",
    )
    headers = request["headers"]
    assert headers["X-Writers-Event"] == "task.completed"
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["X-Writers-Signature"].split(",")
    )
    expected = hmac.new(
        webhook.secret.encode(), f"{timestamp}.".encode() + request["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(signature, expected)

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 1, 200)
    assert headers["X-Writers-Delivery"] == str(delivery.pk)


def test_it_tells_each_event_once(alice: Any, receiver: Receiver) -> None:
    create_webhook(alice, receiver.url)
    finished(alice)
    tick()
    assert not tick()
    assert len(receiver.requests) == 1
    assert TaskEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "event"),
    [(Status.FAILED, "task.failed"), (Status.CANCELLED, "task.cancelled")],
)
def test_it_posts_failed_and_cancelled_tasks(
    alice: Any, receiver: Receiver, status: str, event: str
) -> None:
    create_webhook(alice, receiver.url)
    finished(alice, status)
    tick()
    assert json.loads(receiver.requests[0]["body"])["event"] == event


def test_it_tells_a_retried_task_that_fails_again(alice: Any, receiver: Receiver) -> None:
    create_webhook(alice, receiver.url)
    task = finished(alice, Status.FAILED)
    tick()
    Task.objects.filter(pk=task.pk).update(attempts=2, updated_at=timezone.now())
    tick()
    assert len(receiver.requests) == 2


def test_it_leaves_out_other_users_active_tasks_and_old_news(
    alice: Any, bob: Any, receiver: Receiver
) -> None:
    create_webhook(alice, receiver.url)
    finished(bob)
    two_days_ago = timezone.now() - timedelta(days=2)
    finished(alice, completed_at=two_days_ago)
    Task.objects.filter(pk=finished(alice, Status.FAILED).pk).update(updated_at=two_days_ago)
    finished(alice, Status.PROCESSING)
    Task.objects.create(user=alice, title="To-do", status=Status.COMPLETED)
    tick()
    assert receiver.requests == []


def test_it_retries_with_backoff_on_5xx_408_and_429(
    alice: Any, receiver: Receiver, settings: Any
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    create_webhook(alice, receiver.url)
    finished(alice)
    receiver.statuses = [503, 429, 408]
    tick()
    delivery = WebhookDelivery.objects.get()
    delays = []
    for expected_attempts in (1, 2, 3):
        assert (delivery.status, delivery.attempts) == ("pending", expected_attempts)
        delays.append((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds())
        assert not tick().deliveries  # not due yet
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        tick()
        delivery.refresh_from_db()
    assert delays == [30, 60, 120]
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 4, 200)
    assert len(receiver.requests) == 4


def test_it_gives_up_after_the_last_attempt(alice: Any, receiver: Receiver, settings: Any) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    create_webhook(alice, receiver.url)
    finished(alice)
    receiver.statuses = [500, 500]
    tick()
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    tick()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.error) == ("failed", 2, "HTTP 500")
    assert delivery.next_attempt_at is None


def test_it_does_not_retry_other_answers(alice: Any, receiver: Receiver) -> None:
    create_webhook(alice, receiver.url)
    finished(alice)
    receiver.statuses = [404]
    tick()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("failed", 1, 404)


def test_it_retries_when_nobody_answers(alice: Any, receiver: Receiver) -> None:
    create_webhook(alice, receiver.url)
    receiver.server.shutdown()
    receiver.server.server_close()
    finished(alice)
    tick()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, None)
    assert "ConnectionRefusedError" in delivery.error


def test_it_checks_the_address_again_when_it_delivers(
    alice: Any, receiver: Receiver, settings: Any
) -> None:
    create_webhook(alice, receiver.url)
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    finished(alice)
    tick()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert "127.0.0.1" in delivery.error
    assert receiver.requests == []


def test_it_shows_the_delivery_log_to_its_owner_only(alice: Any, receiver: Receiver) -> None:
    webhook = create_webhook(alice, receiver.url)
    finished(alice)
    receiver.statuses = [502]
    tick()
    log = api(alice).get(f"{WEBHOOKS}/{webhook.pk}/deliveries").json()["deliveries"]
    assert [(d["event"], d["status"], d["response_status"]) for d in log] == [
        ("task.completed", "pending", 502)
    ]
    charlie = make_user(name="charlie")
    assert api(charlie).get(f"{WEBHOOKS}/{webhook.pk}/deliveries").status_code == 404
    assert api(charlie).delete(f"{WEBHOOKS}/{webhook.pk}").status_code == 404
    assert api(charlie).get(WEBHOOKS).json()["webhooks"] == []
    assert api(alice).delete(f"{WEBHOOKS}/{webhook.pk}").status_code == 204
    assert not Webhook.objects.exists()
