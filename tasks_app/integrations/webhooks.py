"""Webhooks: a user's URL receives `task.completed`, `task.failed` and `task.cancelled`.

Each event becomes one WebhookDelivery row per active webhook of the task's owner; the periodic
tick (`manage.py integrations_tick`) posts the due ones. A delivery is retried with exponential
backoff on 408, 429, 5xx and network errors, up to WEBHOOK_MAX_ATTEMPTS, and fails at once on any
other answer (redirects are not followed). Every try is visible to the owner in the delivery log.

Why rows and the tick rather than RQ jobs: the transcription workers listen to `default` after
`media`, so a delivery would wait behind hours of audio; a row also survives a Redis flush. The
tick posts them on a thread pool with a per-owner cap (`deliver_due`), and the delivery log keeps
only a status code or a generic reason (`network_error`), never the receiver's words.

The body is JSON `{"id", "status", "event", "timestamp"}`, signed like this:
`X-Writers-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>`.

SSRF guard: the port must be in WEBHOOK_ALLOWED_PORTS, and the host is resolved and every address
must be public (not loopback, private, link-local, site-local, multicast, reserved or unspecified;
an IPv6 address carrying an IPv4 one is judged by the IPv4 address) unless it is in
WEBHOOK_ALLOWED_NETWORKS. The connection then goes to the address that was checked, so a DNS
answer that changes between the check and the request (rebinding) cannot reach an internal
service.
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
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connections
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.integrations.models import TaskEvent, Webhook, WebhookDelivery
from writers import metrics

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
WEBHOOK_EVENTS = (
    TaskEvent.Kind.COMPLETED,
    TaskEvent.Kind.FAILED,
    TaskEvent.Kind.CANCELLED,
    TaskEvent.Kind.COMMENTED,
)
# "Send a test delivery" from the integrations page; not a task event, so not in its choices.
TEST_EVENT = "webhook.test"
# IPv6 ranges whose last 32 bits are an IPv4 address: IPv4-compatible (::/96), IPv4-translated
# (::ffff:0:0:0/96) and the well-known NAT64 prefix. (::ffff:0:0/96 and 6to4 have their own
# accessors in ipaddress.)
LOW_32_BITS_IPV4 = tuple(
    ipaddress.IPv6Network(net) for net in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96")
)


class UnsafeURL(Exception):  # noqa: N818 (reads as the reason)
    """The URL points somewhere Writers will not send requests."""

    def __init__(self, message: str, code: str = "unsafe_url") -> None:
        super().__init__(message)
        self.code = code


def create_webhook(user: User, url: str) -> Webhook:
    url = (url or "").strip()
    try:
        check_url(url)
    except UnsafeURL as error:
        raise ValidationError({"url": ValidationError(str(error), error.code)}) from error
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
        raise UnsafeURL(_("Enter a valid http or https URL."), "invalid_url") from error
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError as error:  # urllib's "Port out of range 0-65535"
        raise UnsafeURL(_("The port must be a number from 1 to 65535."), "bad_port") from error
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    if not is_allowed_port(port):
        raise UnsafeURL(
            _("Webhooks can only be sent to ports %(ports)s.")
            % {"ports": settings.WEBHOOK_ALLOWED_PORTS},
            "bad_port",
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeURL(_("The host name does not resolve."), "unresolvable") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if not is_allowed_address(address):
            raise UnsafeURL(
                _("Webhooks cannot be sent to %(address)s, a private or local address.")
                % {"address": address}
            )
    return addresses


def is_allowed_port(port: int) -> bool:
    """Whether WEBHOOK_ALLOWED_PORTS ("80,443,1024-65535") lists `port`."""
    for part in settings.WEBHOOK_ALLOWED_PORTS.split(","):
        low, _dash, high = part.strip().partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def is_allowed_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host (through a NAT64 or 6to4
    # gateway, or the host's own stack), so the IPv4 address is the one judged.
    target = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    target = target or ip
    allowed = [ipaddress.ip_network(net, strict=False) for net in settings.WEBHOOK_ALLOWED_NETWORKS]
    if any(a.version == net.version and a in net for a in (ip, target) for net in allowed):
        return True
    return is_public(target)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, -compatible or -translated, NAT64 (64:ff9b::/96)
    or 6to4 (2002::/16) address; None for other addresses."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if any(ip in net for net in LOW_32_BITS_IPV4):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def queue_event(event: TaskEvent) -> int:
    """One pending delivery per active webhook of the task's owner; returns how many."""
    if event.event not in WEBHOOK_EVENTS:
        return 0
    return _deliver(event.task, event.event, event.created_at)


def queue_comment(comment: Any) -> int:
    """`task.commented` for a new comment, to the active webhooks of the task's owner (as the
    other task events: a webhook is its owner's, not the workspace's); returns how many. Each
    comment is its own event, so no TaskEvent row: the comment's id names it."""
    author = comment.author
    about = {
        "comment": {
            "id": comment.pk,
            "author": author.username if author is not None else None,
            "body": comment.body,
            "created_at": _timestamp(comment.created_at),
        }
    }
    return _deliver(comment.task, TaskEvent.Kind.COMMENTED, timezone.now(), about)


def _deliver(task: Any, event: str, at: Any, about: dict[str, Any] | None = None) -> int:
    """Queue `event` about `task` (with `about` in the payload) for each active webhook of the
    task's owner; the tick sends them."""
    payload = {
        "id": str(task.pk),
        "status": task.status,
        "event": str(event),
        **(about or {}),
        "timestamp": _timestamp(at),
    }
    now = timezone.now()
    deliveries = [
        WebhookDelivery(webhook=webhook, event=event, payload=payload, next_attempt_at=now)
        for webhook in Webhook.objects.filter(user_id=task.user_id, is_active=True)
    ]
    WebhookDelivery.objects.bulk_create(deliveries)
    return len(deliveries)


def _timestamp(moment: Any) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def send_test(webhook: Webhook) -> WebhookDelivery:
    """Post a `webhook.test` event to `webhook` now, through the same signed delivery as real
    events, and return the delivery as it ended. Tried once: a test that fails is not retried
    by the tick."""
    payload = {
        "id": None,
        "status": "test",
        "event": TEST_EVENT,
        "timestamp": _timestamp(timezone.now()),
    }
    delivery = WebhookDelivery.objects.create(
        webhook=webhook, event=TEST_EVENT, payload=payload, next_attempt_at=timezone.now()
    )
    deliver(delivery.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None
    )
    delivery.refresh_from_db()
    return delivery


def due_deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    ).order_by("next_attempt_at")


# This process's delivery pool, shared by its ticks. Deliveries wait in a queue per owner and are
# posted on the pool's threads, at most WEBHOOK_CONCURRENCY at once and
# WEBHOOK_PER_USER_CONCURRENCY per owner, so one owner's receivers that never answer hold only that
# owner's share. The `deliver` claim still decides, across processes, who posts a delivery.
_pool_lock = threading.Condition()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_queued: dict[Any, deque[Any]] = {}  # owner id -> delivery ids waiting for a slot
_running: dict[Any, Any] = {}  # delivery id -> owner id


def deliver_due(limit: int = 100, *, wait: bool = True) -> int:
    """Queue up to `limit` due deliveries (at most a webhook limit's worth per owner, so a crowd
    of one owner's deliveries cannot hide another's) and start what the caps allow; returns how
    many were queued. `wait`: return once the pool is idle (`--once`, tests); the long-running
    tick does not wait, so a slow receiver never holds up the next tick's events."""
    with _pool_lock:
        known = set(_running) | {pk for pks in _queued.values() for pk in pks}
    rank = Window(
        RowNumber(), partition_by=F("webhook__user_id"), order_by=F("next_attempt_at").asc()
    )
    rows = list(
        due_deliveries()
        .exclude(pk__in=known)
        .annotate(rank=rank)
        .filter(rank__lte=MAX_WEBHOOKS_PER_USER)
        .values_list("pk", "webhook__user_id")[:limit]
    )
    with _pool_lock:
        for pk, owner in rows:
            _queued.setdefault(owner, deque()).append(pk)
        _start_what_fits()
    if wait:
        wait_for_deliveries()
    return len(rows)


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Block until this process has no delivery queued or being posted; False on timeout."""
    with _pool_lock:
        return _pool_lock.wait_for(lambda: not _running and not _queued, timeout)


def _start_what_fits() -> None:
    """Start queued deliveries, one owner after another, while the caps allow (lock held)."""
    global _pool, _pool_size
    size = max(1, settings.WEBHOOK_CONCURRENCY)
    per_owner = max(1, settings.WEBHOOK_PER_USER_CONCURRENCY)
    if _pool is None or _pool_size < size:
        if _pool is not None:
            _pool.shutdown(wait=False)  # its running deliveries finish; it takes no more
        _pool, _pool_size = ThreadPoolExecutor(size, thread_name_prefix="webhook"), size
    running = Counter(_running.values())
    started = True
    while started and len(_running) < size:
        started = False
        for owner in list(_queued):
            if len(_running) >= size:
                break
            if running[owner] >= per_owner:
                continue
            pk = _queued[owner].popleft()
            if not _queued[owner]:
                del _queued[owner]
            _running[pk] = owner
            running[owner] += 1
            _pool.submit(_deliver_in_thread, pk)
            started = True


def _deliver_in_thread(pk: Any) -> None:
    try:
        deliver(pk)
    except Exception:
        # The claim holds the row until its lease ends; then a later tick tries it again.
        logger.exception("Webhook delivery %s failed", pk)
        metrics.count_integration_error("delivery")
    finally:
        # Pool threads outlive the tick; a connection left open would stay open with them.
        connections.close_all()
        with _pool_lock:
            _running.pop(pk, None)
            _start_what_fits()
            _pool_lock.notify_all()


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
        return Outcome(None, network_error(error), retryable=True)
    finally:
        connection.close()
    return Outcome.from_status(status)


def network_error(error: Exception) -> str:
    """A generic reason for the delivery log. Never the receiver's own words (a banner, an error
    page): echoing them would let anyone read whatever answers on a host and port."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, ssl.SSLError):
        return "TLS error"
    if isinstance(error, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(error, http.client.HTTPException):
        return "not an HTTP answer"
    return "network error"


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
