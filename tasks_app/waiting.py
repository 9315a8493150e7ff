"""Requests that wait for a task on the event loop, holding no thread: the OpenAI endpoints (until
the task ends) and `GET /api/v1/tasks/{id}?wait=N` (until its status changes).

DRF views cannot be async, so `waiting_view` wraps a DRF view function in an async Django view:
the DRF part answers at once (authentication, throttling, access rules and errors all DRF's) and
may mark its answer with a `Wait`; the async part then waits on the loop and has `Wait.answer`
turn the task as it is then into the final answer, in a thread again. Under ASGI these paths take
the async middleware chain (writers/asgi.py ASYNC_PATHS, waits_on_the_loop); under WSGI (the test
client) the same view runs through async_to_sync and simply blocks.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import HttpRequest, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response

from tasks_app.models import Task

# How often a waiting request looks at its task's status: one short indexed query, so a
# script learns of a finished task within this of the worker writing it (issue 18: within 0.1 s).
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Wait:
    """What the DRF part of a waiting view asks its async part to do: wait up to `seconds` for
    `is_over(status)` (status None: the task is gone), then `answer(response)`."""

    task_id: uuid.UUID
    seconds: float
    is_over: Callable[[str | None], bool]
    answer: Callable[[Response], HttpResponseBase]


def waiting_view(view: Any) -> Any:
    """`view` (a DRF `as_view()` function) made async: an answer carrying `waiting` (a Wait) is
    replaced, after the wait, by what `waiting.answer` makes of it."""

    async def waiting(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = await sync_to_async(view)(request, *args, **kwargs)
        wait: Wait | None = getattr(response, "waiting", None)
        if wait is None:
            return response
        await wait_for_status(wait.task_id, wait.seconds, wait.is_over)
        return await sync_to_async(wait.answer)(response)

    # What DRF and the schema generator read off a view function.
    waiting.cls = view.cls  # type: ignore[attr-defined]
    waiting.initkwargs = view.initkwargs  # type: ignore[attr-defined]
    return csrf_exempt(waiting)


async def wait_for_status(
    task_id: uuid.UUID, seconds: float, is_over: Callable[[str | None], bool]
) -> str | None:
    """The task's status once `is_over` says so or `seconds` have passed. Between polls the
    request holds no thread and no database connection: each poll is one short query in the
    request's thread, then a sleep on the loop."""
    deadline = time.monotonic() + seconds
    while True:
        status = await sync_to_async(task_status)(task_id)
        left = deadline - time.monotonic()
        if is_over(status) or left <= 0:
            return status
        await asyncio.sleep(min(POLL_SECONDS, left))


def task_status(task_id: uuid.UUID) -> str | None:
    status = Task.objects.filter(pk=task_id).values_list("status", flat=True).first()
    # The connection goes back to the web's pool (writers/asgi.py) until the next poll, so
    # waiting requests cannot take every connection; inside a transaction (tests) it stays.
    if not connection.in_atomic_block:
        connection.close()
    return status
