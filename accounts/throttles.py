"""Rate limits for the endpoints that check passwords or send mail, per client IP and per account.

The counters live in the Redis cache, so every gunicorn worker counts against the same limit.
Each window opens with the first request and is counted with an atomic INCR: DRF's
SimpleRateThrottle reads, appends and writes a list, and two workers racing there both see room
and both let a request through. If Redis is unreachable the limit is skipped (logged) rather
than refusing every login.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class AuthThrottle(BaseThrottle):
    scope = ""

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def identity(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        identity = self.identity(request)
        if identity is None:
            return True
        limit, period = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        now = time.time()
        key = f"throttle:{self.scope}:{hashlib.sha256(identity.encode()).hexdigest()}"
        try:
            # The window opens at the first request and the counter expires with it, so a
            # burst cannot straddle two clock-aligned windows.
            if cache.add(key, 0, timeout=period):
                cache.set(f"{key}:opened", now, timeout=period)
            count = cache.incr(key)
            opened = cache.get(f"{key}:opened", now)
        except (RedisError, ValueError):
            # ValueError: the counter expired between add and incr, as its window closed.
            logger.warning("Throttle %s skipped: Redis is unreachable", self.scope)
            return True
        if count <= limit:
            return True
        self.retry_after = max(1.0, opened + period - now)
        return False

    def wait(self) -> float | None:
        return self.retry_after


class AuthIPThrottle(AuthThrottle):
    """Per client address; NUM_PROXIES decides how much of X-Forwarded-For is trusted."""

    scope = "auth_ip"

    def identity(self, request: Request) -> str | None:
        return self.get_ident(request)


class AuthAccountThrottle(AuthThrottle):
    """Per email address named in the request, whoever sends it."""

    scope = "auth_account"

    def identity(self, request: Request) -> str | None:
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        return email.strip().lower()


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/min" -> (20, 60), like DRF's rates."""
    number, period = rate.split("/")
    return int(number), PERIODS[period[0]]
