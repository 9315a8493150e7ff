"""Gunicorn for the Writers web: uvicorn workers on writers.asgi, sized from the CPU count,
patient with slow uploads."""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "writers.asgi:application"
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# Each worker is an event loop: a request's sync Django code runs in a thread of its own, and a
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
# No --preload: the web never loads a model, and forking after imports gains little here.
preload_app = False
