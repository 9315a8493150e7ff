"""What the middleware chain needs to run async under ASGI (writers/asgi.py), where the web serves.

Django runs the chain async only while every middleware in it can: one sync-only middleware
makes the whole chain sync, and then an async view (the OpenAI endpoints' wait) holds a thread
for as long as it runs. WhiteNoise is sync-only, hence `StaticFilesMiddleware`. And Django sends a
streaming response whose iterator is sync (a FileResponse: downloads, static files; the CSV
export) by reading all of it into memory first; `StreamInThreadMiddleware` streams it in batches
instead. Under WSGI (tests, `manage.py runserver`) both step aside.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponseBase
from whitenoise.middleware import WhiteNoiseMiddleware

# Bytes read from a sync iterator in one trip to a thread: a FileResponse yields 4 KiB pieces,
# and a trip per piece would cost more than the copying.
STREAM_BATCH_BYTES = 1024 * 1024


class SyncOrAsyncMiddleware:
    """Base of a middleware that is async in an async chain and sync in a sync one, so that it
    never makes Django adapt the chain: `acall` serves the first, `call` the second."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            # Django keeps the chain async only if this instance reads as a coroutine function.
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.acall(request)
        return self.call(request)

    def call(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    async def acall(self, request: HttpRequest) -> HttpResponseBase:
        return await self.get_response(request)


class StaticFilesMiddleware(SyncOrAsyncMiddleware):
    """WhiteNoise, async in an async chain (the lookup is a dict; serving opens a file)."""

    def __init__(self, get_response: Callable[..., Any]) -> None:
        super().__init__(get_response)
        self.whitenoise = WhiteNoiseMiddleware(get_response)

    def call(self, request: HttpRequest) -> HttpResponseBase:
        return self.whitenoise(request)

    async def acall(self, request: HttpRequest) -> HttpResponseBase:
        whitenoise = self.whitenoise
        if whitenoise.autorefresh:
            static_file = await sync_to_async(whitenoise.find_file)(request.path_info)
        else:
            static_file = whitenoise.files.get(request.path_info)
        if static_file is not None:
            return await sync_to_async(whitenoise.serve)(static_file, request)
        return await self.get_response(request)


class StreamInThreadMiddleware(SyncOrAsyncMiddleware):
    """Outermost: a streaming response with a sync iterator is read in a thread a batch at a
    time, in the request's own thread (the CSV export's queries use its connection)."""

    async def acall(self, request: HttpRequest) -> HttpResponseBase:
        return stream_in_batches(await self.get_response(request))


def stream_in_batches(response: HttpResponseBase) -> HttpResponseBase:
    if response.streaming and not response.is_async:
        response.streaming_content = in_batches(iter(response.streaming_content))
    return response


async def in_batches(iterator: Iterator[bytes]) -> AsyncIterator[bytes]:
    while batch := await sync_to_async(next_batch)(iterator):
        yield batch


def next_batch(iterator: Iterator[bytes]) -> bytes:
    """Up to about STREAM_BATCH_BYTES from `iterator`; empty only once it is exhausted."""
    parts = []
    size = 0
    for part in iterator:
        parts.append(part)
        size += len(part)
        if size >= STREAM_BATCH_BYTES:
            break
    return b"".join(parts)
