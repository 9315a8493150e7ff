"""Request and task ids on every log line, from context variables set per request and per job."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
task_id_var: ContextVar[str] = ContextVar("task_id", default="-")

# A client may pass its own id (nginx sets one); anything odd is replaced, never logged raw.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        return True


@contextmanager
def task_context(task_id: object) -> Iterator[None]:
    token = task_id_var.set(str(task_id))
    try:
        yield
    finally:
        task_id_var.reset(token)


class RequestIdMiddleware(MiddlewareMixin):
    # MiddlewareMixin runs it in an async middleware chain too (ASGI), where a sync-only
    # middleware would hold a thread for every request's whole life (writers/asgi.py).
    def process_request(self, request: HttpRequest) -> None:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: Django logs 4xx/5xx responses after the middleware returns, and
        # the next request on this thread sets its own id first thing.
        request_id_var.set(request.request_id)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response["X-Request-ID"] = request.request_id
        return response
