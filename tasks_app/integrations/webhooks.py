"""Webhooks: a user's URL receives `task.completed`, `task.failed` and `task.cancelled`.

Each event becomes one WebhookDelivery row per active webhook of the task's owner; the periodic
tick (`manage.py integrations_tick`) posts the due ones. A delivery is retried with exponential
backoff on 408, 429, 5xx and network errors, up to WEBHOOK_MAX_ATTEMPTS, and fails at once on any
other answer (redirects are not followed). Every try is visible to the owner in the delivery log.

Why rows and the tick rather than RQ jobs: the transcription workers listen to `default` after
`media`, so a delivery would wait behind hours of audio; a row also survives a Redis flush.

The body is JSON `{"id", "status", "event", "timestamp"}`, signed like this:
`X-Writers-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`.

SSRF guard: the host is resolved and every address must be public (not loopback, private,
link-local, multicast, reserved or unspecified) unless it is in WEBHOOK_ALLOWED_NETWORKS. The
connection then goes to the address that was checked, so a DNS answer that changes between the
check and the request (rebinding) cannot reach an internal service.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.integrations.models import TaskEvent, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Writers-Signature"
EVENT_HEADER = "X-Writers-Event"
DELIVERY_HEADER = "X-Writers-Delivery"
RETRY_STATUSES = frozenset({408, 429})
MAX_WEBHOOKS_PER_USER = 10
# Backoff after the n-th failed try: BASE * 2**(n-1) seconds, at most MAX_BACKOFF.
MAX_BACKOFF_SECONDS = 6 * 3600
# While one tick posts a delivery, others skip it until this long after the request timed out.
CLAIM_MARGIN_SECONDS = 30
USER_AGENT = "Writers-Webhooks/1"
WEBHOOK_EVENTS = (TaskEvent.Kind.COMPLETED, TaskEvent.Kind.FAILED, TaskEvent.Kind.CANCELLED)


class UnsafeURL(Exception):  # noqa: N818 (reads as the reason)
    """The URL points somewhere Writers will not send requests."""


def create_webhook(user: User, url: str) -> Webhook:
    url = (url or "").strip()
    try:
        check_url(url)
    except UnsafeURL as error:
        raise ValidationError({"url": ValidationError(str(error), "unsafe_url")}) from error
    if Webhook.objects.filter(user=user).count() >= MAX_WEBHOOKS_PER_USER:
        raise ValidationError(
            {"url": ValidationError(_("Delete a webhook before adding another."), "too_many")}
        )
    return Webhook.objects.create(user=user, url=url, secret=secrets.token_hex(32))


def check_url(url: str) -> list[str]:
    """The addresses `url` may be sent to; raises UnsafeURL when there is none."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as error:
        raise UnsafeURL(_("Enter a valid http or https URL.")) from error
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host name does not resolve.")) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if not is_allowed_address(address):
            raise UnsafeURL(
                _("Webhooks cannot be sent to %(address)s, a private or local address.")
                % {"address": address}
            )
    return addresses


def is_allowed_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    allowed = [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]
    if any(ip.version == net.version and ip in net for net in allowed):
        return True
    return ip.is_global and not ip.is_multicast


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def queue_event(event: TaskEvent) -> int:
    """One pending delivery per active webhook of the task's owner; returns how many."""
    if event.event not in WEBHOOK_EVENTS:
        return 0
    task = event.task
    payload = {
        "id": str(task.pk),
        "status": task.status,
        "event": event.event,
        "timestamp": event.created_at.isoformat().replace("+00:00", "Z"),
    }
    now = timezone.now()
    deliveries = [
        WebhookDelivery(webhook=webhook, event=event.event, payload=payload, next_attempt_at=now)
        for webhook in Webhook.objects.filter(user_id=task.user_id, is_active=True)
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    return len(deliveries)


def due_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")


def deliver_due(limit: int = 100) -> int:
    """Post up to `limit` due deliveries; returns how many this call attempted."""
    attempted = 0
    for pk in list(due_deliveries().values_list("pk", flat=True)[:limit]):
        attempted += deliver(pk)
    return attempted


@dataclass(frozen=True)
class Outcome:
    status: int | None  # None: no HTTP answer
    error: str
    retryable: bool

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @classmethod
    def from_status(cls, status: int) -> Outcome:
        retryable = status in RETRY_STATUSES or status >= 500
        return cls(status, "" if 200 <= status < 300 else f"HTTP {status}", retryable)


def deliver(pk: Any) -> bool:
    """Try one delivery if it is still due; False when another tick has claimed it."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
    claimed = WebhookDelivery.objects.filter(
        pk=pk, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease)
    if not claimed:
        return False
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=pk)
    outcome = post(delivery)
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    delivery.response_status = outcome.status
    delivery.error = outcome.error[:500]
    if outcome.succeeded:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
    elif outcome.retryable and delivery.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
        delay = min(
            settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (delivery.attempts - 1),
            MAX_BACKOFF_SECONDS,
        )
        delivery.next_attempt_at = delivery.last_attempt_at + timedelta(seconds=delay)
    else:
        delivery.status = WebhookDelivery.Status.FAILED
        delivery.next_attempt_at = None
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "response_status",
            "error",
            "status",
            "next_attempt_at",
        ]
    )
    return True


def post(delivery: WebhookDelivery) -> Outcome:
    webhook = delivery.webhook
    body = json.dumps(delivery.payload, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
        SIGNATURE_HEADER: sign(webhook.secret, int(time.time()), body),
    }
    try:
        addresses = check_url(webhook.url)
    except UnsafeURL as error:
        # Not retried: the address was fine when the webhook was saved and is not now.
        return Outcome(None, str(error), retryable=False)
    parts = urlsplit(webhook.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _connection(parts.scheme, parts.hostname or "", parts.port, addresses[0])
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(64 * 1024)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Outcome(None, f"{type(error).__name__}: {error}", retryable=True)
    finally:
        connection.close()
    return Outcome.from_status(status)


def _connection(
    scheme: str, host: str, port: int | None, address: str
) -> http.client.HTTPConnection:
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if scheme == "https":
        return _PinnedHTTPSConnection(host, port, address=address, timeout=timeout)
    return _PinnedHTTPConnection(host, port, address=address, timeout=timeout)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while the Host header keeps the URL's name."""

    def __init__(self, host: str, port: int | None, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int | None, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
