"""Webhooks: signed task events posted by the integrations tick to a real local HTTP server,
retried with backoff, logged for their owner, and never sent to private addresses unasked."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
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
from tasks_app.integrations.webhooks import create_webhook, wait_for_deliveries
from tasks_app.models import Kind, Status, Task

# Deliveries are posted on pool threads with their own database connections: they only see
# committed rows.
pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOKS = "/api/v1/webhooks"


@pytest.fixture(autouse=True)
def _pool_idle(transactional_db: None) -> Iterator[None]:
    # No delivery of this test may still be running when the next test (or the flush) starts.
    yield
    assert wait_for_deliveries(timeout=30)


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.body = b""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/writers?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class Silent:
    """A listener on 127.0.0.1 that takes connections and never answers them (a hung receiver)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:
                return

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self.listener.close()
        for connection in self.accepted:
            connection.close()


class Banner:
    """A listener on 127.0.0.1 that answers every connection with a non-HTTP greeting."""

    GREETING = b"SSH-2.0-OpenSSH_9.6 internal-build-secret\r\n"

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection = self.listener.accept()[0]
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(self.GREETING)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()


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
        "http://[::]/hook",
        # IPv6 addresses that carry 127.0.0.1: IPv4-compatible, IPv4-translated, NAT64, 6to4.
        "http://[::127.0.0.1]/hook",
        "http://[::ffff:0:7f00:1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[2002:a00:1::1]/hook",  # 6to4 of 10.0.0.1
        "http://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 (RFC 8215)
        "http://[fec0::1]/hook",  # site-local
        "http://240.0.0.1/hook",  # reserved
        "http://[2001:db8::1]/hook",  # documentation
        "ftp://example.org/hook",
        "not a url",
    ],
)
def test_it_refuses_urls_that_are_not_public(alice: Any, url: str) -> None:
    response = api(alice).post(WEBHOOKS, {"url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/hook",
        "http://[64:ff9b::808:808]/hook",  # NAT64 of a public address
        "http://[2002:808:808::1]/hook",  # 6to4 of a public address
        "http://[2001:4860:4860::8888]/hook",
    ],
)
def test_it_accepts_public_addresses_in_any_form(alice: Any, url: str) -> None:
    response = api(alice).post(WEBHOOKS, {"url": url}, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("port", "allowed"),
    [
        ("", True),
        (":80", True),
        (":443", True),
        (":1024", True),
        (":8080", True),
        (":65535", True),
        (":0", False),
        (":22", False),
        (":25", False),
        (":1023", False),
        (":65536", False),
        (":99999", False),
    ],
)
def test_it_allows_only_web_and_unprivileged_ports(alice: Any, port: str, allowed: bool) -> None:
    response = api(alice).post(WEBHOOKS, {"url": f"http://8.8.8.8{port}/hook"}, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400, response.content
        assert "port" in response.json()["url"][0]
        assert not Webhook.objects.exists()


def test_it_takes_the_allowed_ports_from_settings(alice: Any, settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_PORTS = "443, 8000-8999"
    client = api(alice)
    assert client.post(WEBHOOKS, {"url": "http://8.8.8.8/hook"}, format="json").status_code == 400
    assert client.post(WEBHOOKS, {"url": "http://8.8.8.8:8443/"}, format="json").status_code == 201
    assert client.post(WEBHOOKS, {"url": "https://8.8.8.8/"}, format="json").status_code == 201


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
    assert delivery.error == "connection refused"


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


def test_it_logs_the_status_but_never_the_receivers_answer(alice: Any, receiver: Receiver) -> None:
    webhook = create_webhook(alice, receiver.url)
    finished(alice)
    receiver.statuses = [500]
    receiver.body = b"Internal error at db-7.corp.local: password=hunter2"
    tick()
    [entry] = api(alice).get(f"{WEBHOOKS}/{webhook.pk}/deliveries").json()["deliveries"]
    assert (entry["response_status"], entry["error"]) == (500, "HTTP 500")


def test_it_logs_a_generic_reason_for_a_non_http_answer(alice: Any, settings: Any) -> None:
    # Echoing what answered (here an SSH greeting) would make the log a port scanner.
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    banner = Banner()
    try:
        webhook = create_webhook(alice, banner.url)
        finished(alice)
        tick()
    finally:
        banner.close()
    [entry] = api(alice).get(f"{WEBHOOKS}/{webhook.pk}/deliveries").json()["deliveries"]
    assert (entry["status"], entry["response_status"]) == ("pending", None)
    assert entry["error"] == "not an HTTP answer"


def test_one_users_hung_receivers_do_not_hold_up_another_users_delivery(
    alice: Any, bob: Any, receiver: Receiver, settings: Any
) -> None:
    # Alice's receivers take the connection and never answer; bob's answers at once.
    settings.WEBHOOK_TIMEOUT_SECONDS = 60
    hung = [Silent() for _ in range(10)]
    try:
        for server in hung:
            create_webhook(alice, server.url)
        create_webhook(bob, receiver.url)
        finished(alice)
        finished(bob)
        # As the long-running command does: the tick returns without waiting for receivers.
        assert tick(wait=False).deliveries == 11
        bobs = WebhookDelivery.objects.get(webhook__user=bob)
        deadline = time.monotonic() + 10  # generous; sequential posting would take 600 s
        while bobs.status == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
            bobs.refresh_from_db()
        assert bobs.status == "succeeded"
        assert len(receiver.requests) == 1
        # ... while every one of alice's still waits for an answer or for one of her 2 slots.
        alices = WebhookDelivery.objects.filter(webhook__user=alice)
        assert set(alices.values_list("status", "attempts")) == {("pending", 0)}
        assert sum(len(server.accepted) for server in hung) <= 2
    finally:
        for server in hung:
            server.close()
