"""Requests that wait for a task on the event loop, holding no thread: the OpenAI endpoints (until
the task ends) and `GET /api/v1/tasks/{id}?wait=N` (until its status changes).

DRF views cannot be async, so `waiting_view` wraps a DRF view function: the DRF part answers at
once (authentication, throttling, access rules and errors all DRF's) and may mark its answer with
a `Wait`; the wrapper's async twin then waits on the loop and has `Wait.answer` turn the task as
it is then into the final answer, in a thread again. Under ASGI the requests that wait take the
async middleware chain and that twin (writers/asgi.py); under WSGI (the test client) the sync
wrapper runs the same wait through async_to_sync and simply blocks.

Every status transition is announced on Redis (pub/sub, tasks_app.announcements) once its
transaction commits, and the waiting requests of each event loop look at once. The poll stays as
a safety net, every SUBSCRIBED_POLL_SECONDS while subscribed and every POLL_SECONDS while Redis
is away; a look right after the subscription is confirmed covers a change between a waiter's
first look and it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponseBase
from redis.exceptions import RedisError

from tasks_app.announcements import CHANNEL
from tasks_app.models import Task

if TYPE_CHECKING:
    # Not at run time: this module's view wrapper is the web's alone.
    from rest_framework.response import Response

logger = logging.getLogger(__name__)

# How often a waiting request looks at its task's status while no announcement can reach it
# (Redis away): one short indexed query, so a script learns of a finished task within this of the
# worker writing it (issue 18: within 0.1 s).
POLL_SECONDS = 0.05
# While subscribed, announcements wake the waiters at once and the look is only a safety net:
# looking every POLL_SECONDS throughout a transcription took the web and PostgreSQL 20 queries a
# second per event loop, on the cores the worker transcribes on.
SUBSCRIBED_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Wait:
    """What the DRF part of a waiting view asks its async part to do: wait up to `seconds` for
    `is_over(status)` (status None: the task is gone), then `answer(response)`."""

    task_id: uuid.UUID
    seconds: float
    is_over: Callable[[str | None], bool]
    answer: Callable[[Response], HttpResponseBase]


def waiting_view(view: Any) -> Any:
    """`view` (a DRF `as_view()` function) whose answer may carry `waiting` (a Wait): replaced,
    after the wait, by what `waiting.answer` makes of it.

    The view stays sync, so the many requests that do not wait (a script polling a task's detail)
    take no trip through an event loop; it blocks only where there is no loop to wait on (WSGI,
    the test client). Its `on_the_loop` twin is what the ASGI entry point runs for the requests
    that wait (writers/asgi.py, `waits_on_the_loop`)."""

    def waiting(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        wait: Wait | None = getattr(response, "waiting", None)
        if wait is None:
            return response
        async_to_sync(wait_for_status)(wait.task_id, wait.seconds, wait.is_over)
        return wait.answer(response)

    async def on_the_loop(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = await sync_to_async(view)(request, *args, **kwargs)
        wait: Wait | None = getattr(response, "waiting", None)
        if wait is None:
            return response
        await wait_for_status(wait.task_id, wait.seconds, wait.is_over)
        return await sync_to_async(wait.answer)(response)

    for made in (waiting, on_the_loop):
        # What DRF and the schema generator read off a view function.
        made.cls = view.cls  # type: ignore[attr-defined]
        made.view_class = view.view_class  # type: ignore[attr-defined]
        made.initkwargs = view.initkwargs  # type: ignore[attr-defined]
        made.csrf_exempt = True  # type: ignore[attr-defined]
    waiting.on_the_loop = on_the_loop  # type: ignore[attr-defined]
    return waiting


async def wait_for_status(
    task_id: uuid.UUID, seconds: float, is_over: Callable[[str | None], bool]
) -> str | None:
    """The task's status once `is_over` says so or `seconds` have passed. Meanwhile the request
    holds no thread and no database connection: it sleeps on the loop, and one watcher per event
    loop looks at every waited-for task in one query when one is announced, and each
    SUBSCRIBED_POLL_SECONDS (POLL_SECONDS without Redis) besides, so many waiting requests cost
    the database no more than one (the status poll and /health stay fast, bench/LOAD.md)."""
    deadline = time.monotonic() + seconds
    status = await sync_to_async(task_status)(task_id)
    if is_over(status):
        return status
    watch = _Watch.of_this_loop()
    woken = watch.add(task_id)
    try:
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(woken.wait(), left)
            except TimeoutError:
                break
            woken.clear()
            status = watch.statuses.get(task_id, status)
            if is_over(status):
                return status
        return watch.statuses.get(task_id, status)
    finally:
        watch.remove(task_id, woken)


class _Watch:
    """The tasks waited for on one event loop, looked at together while any are."""

    _by_loop: dict[asyncio.AbstractEventLoop, _Watch] = {}

    def __init__(self) -> None:
        self.waiting: dict[uuid.UUID, set[asyncio.Event]] = {}
        self.statuses: dict[uuid.UUID, str | None] = {}
        self.looking: asyncio.Task[None] | None = None
        # Set when a task waited for here was announced: look now.
        self.nudged = asyncio.Event()
        # Whether announcements reach this loop (Redis confirmed the subscription).
        self.subscribed = False

    @classmethod
    def of_this_loop(cls) -> _Watch:
        return cls._by_loop.setdefault(asyncio.get_running_loop(), cls())

    def add(self, task_id: uuid.UUID) -> asyncio.Event:
        woken = asyncio.Event()
        self.waiting.setdefault(task_id, set()).add(woken)
        if self.looking is None or self.looking.done():
            self.looking = asyncio.ensure_future(self.look())
        return woken

    def remove(self, task_id: uuid.UUID, woken: asyncio.Event) -> None:
        events = self.waiting.get(task_id, set())
        events.discard(woken)
        if not events:
            self.waiting.pop(task_id, None)
            self.statuses.pop(task_id, None)
        if not self.waiting and self.looking is not None:
            # Nothing to look at: the loop may end (async_to_sync's does). The next waiter
            # starts a new look.
            self.looking.cancel()
            self.looking = None

    async def look(self) -> None:
        loop = asyncio.get_running_loop()
        listening = asyncio.ensure_future(self.listen())
        try:
            while self.waiting:
                every = SUBSCRIBED_POLL_SECONDS if self.subscribed else POLL_SECONDS
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.nudged.wait(), every)
                self.nudged.clear()
                ids = list(self.waiting)
                found = await sync_to_async(task_statuses)(ids)
                for task_id in ids:
                    self.statuses[task_id] = found.get(task_id)
                    for woken in self.waiting.get(task_id, ()):
                        woken.set()
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening
            # Gone with its last waiter (or an error: the waiters then answer at their time).
            if self._by_loop.get(loop) is self and not self.waiting:
                del self._by_loop[loop]

    async def listen(self) -> None:
        """Nudge the look when a task waited for here is announced, while the look runs."""
        import redis.asyncio  # the web's alone: the workers import this module to announce

        client = redis.asyncio.from_url(
            settings.RQ_QUEUES["default"]["URL"], socket_connect_timeout=2
        )
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        # From now on every announcement arrives; one look now sees what was
                        # written before, so none falls between the first look and this.
                        self.subscribed = True
                        self.nudged.set()
                        continue
                    with contextlib.suppress(ValueError, AttributeError):
                        if uuid.UUID(message["data"].decode()) in self.waiting:
                            self.nudged.set()
        except (RedisError, OSError):
            logger.debug("Not subscribed to task announcements; polling only", exc_info=True)
        finally:
            self.subscribed = False
            await client.aclose()


def task_status(task_id: uuid.UUID) -> str | None:
    return task_statuses([task_id]).get(task_id)


def task_statuses(task_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The statuses of those of `task_ids` that exist, in one query."""
    found = dict(Task.objects.filter(pk__in=task_ids).values_list("pk", "status"))
    # The connection goes back to the web's pool (writers/asgi.py) until the next look, so
    # waiting requests cannot take every connection; inside a transaction (tests) it stays.
    if not connection.in_atomic_block:
        connection.close()
    return found
