"""Gunicorn for the Writers web: uvicorn workers on writers.asgi, sized from the CPU count,
patient with slow uploads."""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import signal
import sys

wsgi_app = "writers.asgi:application"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Each worker is an event loop: a request's sync Django code runs in one of its threads, and a
# request waiting for its task (the OpenAI endpoints, OPENAI_WAIT_SECONDS) holds no thread at
# all, so waiting clients never keep others out (bench/LOAD.md, `make bench-stall`).
worker_class = "uvicorn_worker.UvicornWorker"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# A 100 MB upload over a slow link takes minutes; nginx buffers it, but direct clients may not.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
# A worker that stops (max_requests, a deploy) first finishes what it serves, including requests
# waiting for their task in the OpenAI endpoints: give those their whole wait.
graceful_timeout = int(float(os.environ.get("OPENAI_WAIT_SECONDS", "120"))) + 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# gunicornc's socket: a thread with an event loop in the master, at one path per user
# ($HOME/.gunicorn/gunicorn.ctl), so two masters on a host take it from each other. Nothing here
# uses it; deploys restart the web through compose or systemd.
control_socket_disable = True
# The app is loaded once in the master, the URLs (so every view) imported too, and all of it
# frozen out of the garbage collector before the workers fork (`when_ready`): the workers share
# those pages instead of each copying them as its collector walks them (make run's web: 235 ->
# 185 MiB PSS, bench/RESULTS.md "Memory"). Safe: the web loads no model, and the master opens no
# database or Redis connection (closed here all the same, so no worker inherits one).
preload_app = True


def when_ready(server: object) -> None:
    from django.db import connections
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view)
    connections.close_all()
    gc.collect()
    gc.freeze()


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def post_fork(server: object, worker: object) -> None:
    """A worker told to stop before it has booted stops at once.

    Until a worker installs its own handlers (init_signals), a stop signal runs the master's
    handler that the fork copied, which only queues it in the child's copy of the master's
    queue: a worker forked just as the web was stopped booted and served on, and the master
    waited graceful_timeout (150 s) before killing it. Booting, it has nothing to finish."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_DFL)  # what the uvicorn worker sets next, in init_signals
    pending = server.SIG_QUEUE  # type: ignore[attr-defined]
    stop = False
    while True:
        try:
            stop |= pending.get_nowait() in STOP_SIGNALS
        except queue.Empty:
            break
    if stop:
        sys.exit(0)
