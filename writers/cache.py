"""The cache's Redis connections: one pool per process (CACHES OPTIONS "pool_class")."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import redis


class SharedConnectionPool(redis.ConnectionPool):
    """The same pool for the same URL and options, whoever asks, for the whole process.

    Django makes a cache client, each with pools of its own, per thread context; under ASGI
    every request is a context of its own, so each request would open a new Redis connection
    (and pay its connect and AUTH) where a WSGI thread reuses one. redis-py's pool is
    thread-safe and starts afresh in a forked child.
    """

    _shared: ClassVar[dict[str, redis.ConnectionPool]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> redis.ConnectionPool:
        key = repr((url, sorted(kwargs.items())))
        with cls._lock:
            if key not in cls._shared:
                cls._shared[key] = super().from_url(url, **kwargs)
            return cls._shared[key]
