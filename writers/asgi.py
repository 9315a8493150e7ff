"""The web's entry point: gunicorn runs it with uvicorn workers (deploy/gunicorn.conf.py, Procfile).

Under ASGI the OpenAI endpoints wait for their task on the event loop instead of in a thread
(tasks_app/openai/api.py), and the middleware chain is async (writers/asgi_middleware.py).
Two things differ from WSGI and are handled here:
- each request's sync code runs in a thread of its own, so a persistent database connection would
  be left behind by every request: connect per request, as Django advises for ASGI;
- Django reads a request's whole body before any middleware can refuse it, so `limit_body` never
  reads past the most any endpoint takes, and passes on a body declared larger than that unread,
  for writers.limits to refuse from its Content-Length (413).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
os.environ["DB_CONN_MAX_AGE"] = "0"
# Files the web writes (uploads, the SQLite database) are private (writers/settings.py).
os.umask(0o077)

from django.conf import settings  # noqa: E402 (after the environment it reads)
from django.core.asgi import get_asgi_application  # noqa: E402

django_application = get_asgi_application()

from writers.limits import FORM_OVERHEAD_BYTES  # noqa: E402 (it needs the apps loaded)

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
App = Callable[[dict[str, Any], Receive, Callable[[Message], Awaitable[None]]], Awaitable[None]]


def body_ceiling() -> int:
    """The most body any endpoint takes: an upload's form, or a body read into memory."""
    in_memory = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return max(settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES, in_memory)


def declared_length(scope: dict[str, Any]) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


def limit_body(app: App) -> App:
    async def limited(scope: dict[str, Any], receive: Receive, send: Any) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        ceiling = body_ceiling()
        received = 0 if declared_length(scope) <= ceiling else None
        ended = False

        async def limited_receive() -> Message:
            nonlocal received, ended
            if ended:
                # Django now listens only for a disconnect: drop the rest of an unread body.
                while (message := await receive())["type"] != "http.disconnect":
                    pass
                return message
            if received is None:
                ended = True
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > ceiling or not message.get("more_body", False):
                    ended = True
                    message = {**message, "more_body": False}
            return message

        return await app(scope, limited_receive, send)

    return limited


application = limit_body(django_application)
