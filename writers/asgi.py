"""The web's entry point: gunicorn runs it with uvicorn workers (deploy/gunicorn.conf.py, Procfile).

Under ASGI the OpenAI endpoints wait for their task on the event loop instead of in a thread
(tasks_app/openai/api.py); their requests go through Django with an async middleware chain
(writers/asgi_middleware.py). Every other request goes through the same middleware run sync,
the chain and the view together in the request's thread (`SyncChainHandler`): one trip to a
thread instead of two for each middleware, which under load cost more than the view itself
(bench/LOAD.md). Two more things differ from WSGI and are handled here:
- each request's sync code runs in a thread that serves one request at a time, kept idle between
  requests (`SyncChainHandler.__call__`); Django's persistent connections are off (a request
  closes its connection as it finishes), and PostgreSQL connections come from a pool per process
  instead (DB_POOL, DB_POOL_SIZE);
- Django reads a request's whole body before any middleware can refuse it, so `limit_body` never
  reads past the most any endpoint takes, and passes on a body declared larger than that unread,
  for writers.limits to refuse from its Content-Length (413).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
if "django.conf" not in sys.modules:  # imported first, as by gunicorn (not by a test)
    os.environ["DB_CONN_MAX_AGE"] = "0"
    os.environ.setdefault("DB_POOL", "1")
# Files the web writes (uploads, the SQLite database) are private (writers/settings.py).
os.umask(0o077)

from django.conf import settings  # noqa: E402 (after the environment it reads)
from django.core.asgi import get_asgi_application  # noqa: E402

get_asgi_application()  # sets Django up; the handlers below need the apps loaded

from asgiref.sync import ThreadSensitiveContext, sync_to_async  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.urls import ResolverMatch  # noqa: E402

from writers.asgi_middleware import stream_in_batches  # noqa: E402 (it needs the apps loaded)
from writers.limits import FORM_OVERHEAD_BYTES  # noqa: E402

# Threads a web process keeps idle for its next requests (SyncChainHandler): more than the
# requests it serves at once at peak only hold memory.
SPARE_THREADS = 32

# The views that wait on the event loop; they need the async middleware chain: the OpenAI
# endpoints, and a task's detail asked to `wait` (tasks_app.waiting).
ASYNC_PATHS = ("/v1/audio/",)
WAITING_DETAIL = re.compile(r"/api/v1/tasks/[^/]+")

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


class SyncChainHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain built sync and called in one thread.

    It also spreads clients over the web processes: an answer given while other requests of
    this process are in their views closes its connection (`Connection: close`), so that the
    client's next request is accepted by whichever process is free. Without it, a client that
    keeps its connections open (nginx's upstream keepalive, wrk, browsers) stays with the
    process that accepted them, and asyncio accepts every pending connection at once: under
    `make load` all 8 of wrk's connections sat in one or two of the five processes, which
    served them one GIL at a time while the others idled (bench/LOAD.md). A lone request keeps
    its connection.
    """

    def __init__(self) -> None:
        super().__init__()
        # Requests of this process inside the middleware chain now (one event loop per process).
        self.in_views = 0
        # Each an idle thread for the next request's sync code (`__call__`).
        self.spare_threads: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Any) -> None:
        """Django's, with the request's sync code in a thread kept from an earlier request.

        Django gives each request a thread of its own, started for it and joined after it by
        yet another thread: more of the CPU than the rest of answering `/health` (bench/LOAD.md).
        A thread is taken back only once the request has left it idle: its database connection
        went back to the pool as the request finished (request_finished, in that thread), and a
        request whose client left still runs its view there before Django lets it go."""
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if self.spare_threads:
            thread = self.spare_threads.pop()
        else:
            thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        idle = False
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
            idle = True
        finally:
            if idle and len(self.spare_threads) < SPARE_THREADS:
                self.spare_threads.append(thread)
            else:
                thread.shutdown(wait=False)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def run_get_response(self, request: Any) -> Any:
        self.in_views += 1
        try:
            response = await super().run_get_response(request)
        finally:
            self.in_views -= 1
        if self.in_views:
            response["Connection"] = "close"
        # What StreamInThreadMiddleware does in the async chain (downloads, static files).
        return stream_in_batches(response)


sync_chain_application = SyncChainHandler()


class WaitingHandler(ASGIHandler):
    """Django's ASGI handler (async middleware chain) that runs a view's `on_the_loop` twin where
    it has one (tasks_app.waiting): the same route, waiting on the loop instead of in a thread."""

    def resolve_request(self, request: Any) -> ResolverMatch:
        match = super().resolve_request(request)
        match.func = getattr(match.func, "on_the_loop", match.func)
        return match


async_application = WaitingHandler()


def waits_on_the_loop(scope: dict[str, Any]) -> bool:
    path = scope["path"]
    if path.startswith(ASYNC_PATHS):
        return True
    query = scope.get("query_string", b"")
    return b"wait=" in query and WAITING_DETAIL.fullmatch(path) is not None


async def route(scope: dict[str, Any], receive: Receive, send: Any) -> None:
    waits = scope["type"] == "http" and waits_on_the_loop(scope)
    app = async_application if waits else sync_chain_application
    await app(scope, receive, send)


application = limit_body(route)
