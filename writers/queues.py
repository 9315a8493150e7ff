"""RQ's Redis, one client per process: `connection(name)` and `queue(name)` for RQ_QUEUES[name].

django_rq builds a new client, with a pool of its own, on every call, so each announcement,
metric and enqueue opened a fresh connection (connect, the client's handshake, and for a queue
an INFO for the server's version): several milliseconds of every task's fixed cost (issue 18).
Here every caller of a connection setting shares one client: redis-py's pool is thread-safe,
starts afresh in a forked child and reconnects after Redis restarts. A setting changed at run
time (tests point the queues at a Redis of their own) gets a client of its own.
"""

from __future__ import annotations

import threading
from typing import Any

import django_rq
from django.conf import settings
from django_rq.connection_utils import filter_connection_params, get_redis_connection

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def connection(name: str = "default") -> Any:
    """The process's Redis client for RQ_QUEUES[name] (a redis.Redis)."""
    config = settings.RQ_QUEUES[name]
    key = repr(sorted(filter_connection_params(config).items()))
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = get_redis_connection(config)
    return client


def queue(name: str) -> Any:
    """The RQ queue `name` on the process's shared client (a django_rq Queue)."""
    return django_rq.get_queue(name, connection=connection(name))
