"""Gunicorn for the Writers web: sized from the CPU count, patient with slow uploads."""

from __future__ import annotations

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# One thread per worker: the pages are CPU-bound Python, and two requests sharing a worker's GIL
# tripled the list's p95 under load (bench/LOAD.md). Raise it where many clients hold requests
# open in the OpenAI-compatible endpoint's wait (OPENAI_WAIT_SECONDS).
threads = int(os.environ.get("WEB_THREADS", "1"))
# A 100 MB upload over a slow link takes minutes; nginx buffers it, but direct clients may not.
timeout = int(os.environ.get("WEB_TIMEOUT", "300"))
graceful_timeout = 30
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
# No --preload: the web never loads a model, and forking after imports gains little here.
preload_app = False
