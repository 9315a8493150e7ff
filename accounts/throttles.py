"""Rate limits for the endpoints that check passwords or send mail.

Three limits, so that guessing is slow but an attack cannot lock an account's owner out:

- per client IP (THROTTLE_AUTH_IP), every attempt, whatever the account;
- per account and client IP (THROTTLE_AUTH_ACCOUNT), every attempt: one source guessing one
  account;
- per account from anywhere (THROTTLE_AUTH_ACCOUNT_FAILURES), counting only failed sign-ins
  and reset mail requested. It refuses only addresses that have never signed in to the account
  successfully (remembered for KNOWN_IP_DAYS), so the owner at home still gets in while
  thousands of addresses guess.

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
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
KNOWN_IP_DAYS = 90
FAILURES_SCOPE = "auth_account_failures"


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
        try:
            count, opened = _count(_key(self.scope, identity), period, now)
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
    """Per email address named in the request and client address."""

    scope = "auth_account"

    def identity(self, request: Request) -> str | None:
        email = _email(request)
        return None if email is None else f"{email} {self.get_ident(request)}"


class AuthAccountFailuresThrottle(AuthThrottle):
    """Per email address from anywhere, once it had too many failures; never for an address that
    signed in to the account before. It only reads the counter: record_failure counts."""

    scope = FAILURES_SCOPE

    def allow_request(self, request: Request, view: Any) -> bool:
        email = _email(request)
        if email is None:
            return True
        limit, period = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[self.scope])
        key = _key(self.scope, email)
        now = time.time()
        try:
            if cache.get(_known_key(email, self.get_ident(request))) is not None:
                return True
            count = cache.get(key, 0)
            opened = cache.get(f"{key}:opened", now)
        except RedisError:
            logger.warning("Throttle %s skipped: Redis is unreachable", self.scope)
            return True
        if count < limit:
            return True
        self.retry_after = max(1.0, opened + period - now)
        return False


# Register checks no password; sign-in, token and password forgot count failures per account.
PASSWORD_THROTTLES: list[type[BaseThrottle]] = [AuthIPThrottle, AuthAccountThrottle]
SIGN_IN_THROTTLES: list[type[BaseThrottle]] = [*PASSWORD_THROTTLES, AuthAccountFailuresThrottle]


def record_failure(email: str) -> None:
    """Count a failed sign-in (or a reset mail asked for) against the account, from anywhere."""
    email = email.strip().lower()
    if not email:
        return
    _limit, period = parse_rate(api_settings.DEFAULT_THROTTLE_RATES[FAILURES_SCOPE])
    try:
        _count(_key(FAILURES_SCOPE, email), period, time.time())
    except (RedisError, ValueError):
        logger.warning("Throttle %s not counted: Redis is unreachable", FAILURES_SCOPE)


def remember_sign_in(request: HttpRequest, email: str) -> None:
    """This address knows the password: the account-wide limit never refuses it from now on."""
    key = _known_key(email.strip().lower(), BaseThrottle().get_ident(request))
    try:
        cache.set(key, 1, timeout=KNOWN_IP_DAYS * 86400)
    except RedisError:
        logger.warning("Signed-in address not remembered: Redis is unreachable")


def _email(request: Request) -> str | None:
    email = request.data.get("email") if hasattr(request.data, "get") else None
    if not isinstance(email, str) or not email.strip():
        return None
    return email.strip().lower()


def _key(scope: str, identity: str) -> str:
    return f"throttle:{scope}:{hashlib.sha256(identity.encode()).hexdigest()}"


def _known_key(email: str, ip: str | None) -> str:
    return _key("auth_known_ip", f"{email} {ip}")


def _count(key: str, period: int, now: float) -> tuple[int, float]:
    """Add one to the counter at `key`: its new value and when its window opened.

    The window opens at the first request and the counter expires with it, so a burst cannot
    straddle two clock-aligned windows.
    """
    if cache.add(key, 0, timeout=period):
        cache.set(f"{key}:opened", now, timeout=period)
    count = cache.incr(key)
    return count, cache.get(f"{key}:opened", now)


def parse_rate(rate: str) -> tuple[int, int]:
    """ "20/min" -> (20, 60), like DRF's rates."""
    number, period = rate.split("/")
    return int(number), PERIODS[period[0]]
