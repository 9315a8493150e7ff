"""The cache's Redis client: one per process (CACHES BACKEND)."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any, ClassVar

import redis
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class SharedClient(RedisCacheClient):
    """Django's client, with one redis.Redis per connection pool instead of a new one for each
    call (each is built with its table of some 170 reply handlers): a third of the cost of each
    cache lookup, such as the token deny-list lookup every authenticated request made until
    logout ended sessions in the database instead (bench/LOAD.md)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis: dict[int, redis.Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> redis.Redis:
        pool = self._get_connection_pool(write)
        client = self._redis.get(id(pool))
        if client is None:
            client = self._redis.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """Django's Redis cache with one client, and so one connection pool, per process.

    Django makes a cache backend per thread context, and under ASGI every request is a context
    of its own: each request built a client of its own, with pools of its own, and opened a
    Redis connection (paying its connect and AUTH) where a WSGI thread reuses one. redis-py's
    clients and pools are thread-safe, and a pool starts afresh in a forked child.
    """

    _clients: ClassVar[dict[str, SharedClient]] = {}
    _clients_lock: ClassVar[threading.Lock] = threading.Lock()

    @cached_property
    def _cache(self) -> SharedClient:
        key = repr((self._servers, sorted(self._options.items())))
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = SharedClient(self._servers, **self._options)
            return self._clients[key]
