"""The web as deployed (writers.asgi under uvicorn): what differs from WSGI is handled there."""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
import threading
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.urls import path

from accounts.tokens import issue_tokens
from writers.asgi_middleware import (
    STREAM_BATCH_BYTES,
    StaticFilesMiddleware,
    StreamInThreadMiddleware,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_refuses_a_body_declared_too_large_without_waiting_for_it(
    asgi_server: str, alice: Any, settings: Any
) -> None:
    # Django under ASGI would read all 101 MB before any middleware ran; the client sends none.
    access, _refresh = issue_tokens(alice)
    size = settings.MAX_UPLOAD_BYTES + 2 * 1024 * 1024
    address = urlsplit(asgi_server)
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.sendall(
            (
                f"POST /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\n"
                f"Authorization: Bearer {access}\r\n"
                f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {size}\r\n\r\n"
            ).encode()
        )
        answer = raw.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer


def test_it_takes_an_upload_and_streams_it_back_in_batches(
    asgi_server: str, alice: Any, jfk_flac: Path, queues: Any
) -> None:
    original = jfk_flac.read_bytes()
    assert len(original) > STREAM_BATCH_BYTES  # more than one batch
    auth = {"Authorization": f"Bearer {issue_tokens(alice)[0]}"}
    body = (
        b'--w-boundary\r\nContent-Disposition: form-data; name="title"\r\n\r\nJFK\r\n'
        b'--w-boundary\r\nContent-Disposition: form-data; name="file"; filename="jfk.flac"\r\n'
        b"Content-Type: audio/flac\r\n\r\n" + original + b"\r\n--w-boundary--\r\n"
    )
    created = Request(
        f"{asgi_server}/api/v1/tasks",
        data=body,
        headers={**auth, "Content-Type": "multipart/form-data; boundary=w-boundary"},
    )
    with urlopen(created, timeout=60) as response:
        task_id = json.loads(response.read())["id"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        download = Request(f"{asgi_server}/api/v1/tasks/{task_id}/file", headers=auth)
        with urlopen(download, timeout=30) as response:
            assert response.read() == original
    # Django's fallback for a sync iterator reads the whole file into memory, and warns.
    assert not [w for w in caught if "synchronous iterators" in str(w.message)]


def test_it_serves_static_files_and_passes_the_rest_on_in_an_async_chain(
    tmp_path: Path, settings: Any, rf: Any
) -> None:
    (tmp_path / "site.css").write_text("body{}")
    settings.STATIC_ROOT = tmp_path

    async def app(request: Any) -> HttpResponse:
        return HttpResponse("app")

    middleware = StaticFilesMiddleware(app)
    # Django keeps the chain async only if this is a coroutine function here.
    assert iscoroutinefunction(middleware)
    static = in_own_loop(middleware(rf.get("/static/site.css")))
    assert (static.status_code, b"".join(static.streaming_content)) == (200, b"body{}")
    assert in_own_loop(middleware(rf.get("/dashboard"))).content == b"app"


def test_both_run_sync_in_a_sync_chain(tmp_path: Path, settings: Any, rf: Any) -> None:
    # Under WSGI (tests, runserver) neither may turn the chain async.
    (tmp_path / "site.css").write_text("body{}")
    settings.STATIC_ROOT = tmp_path

    def app(request: Any) -> HttpResponse:
        return HttpResponse("app")

    static, stream = StaticFilesMiddleware(app), StreamInThreadMiddleware(app)
    assert not iscoroutinefunction(static) and not iscoroutinefunction(stream)
    served = static(rf.get("/static/site.css"))
    assert (served.status_code, b"".join(served.streaming_content)) == (200, b"body{}")
    assert static(rf.get("/dashboard")).content == b"app"
    assert stream(rf.get("/dashboard")).content == b"app"


def in_own_loop(awaitable: Any) -> Any:
    """Awaits in a thread of its own: the browser tests' Playwright keeps an event loop running
    in the main thread for the whole session, where async_to_sync refuses to run."""
    done: list[Any] = []

    async def run() -> None:
        done.append(await awaitable)

    thread = threading.Thread(target=asyncio.run, args=(run(),))
    thread.start()
    thread.join(30)
    return done[0]


def test_the_cache_shares_one_redis_client_between_threads() -> None:
    # Django makes a cache backend per thread (per request under ASGI); without a shared client
    # each one would build its own and open its own Redis connection.
    clients = []

    def client_of_this_thread() -> None:
        cache = caches["default"]
        cache.set("shared", 1)
        clients.append((cache, cache._cache.get_client(write=True), cache._cache.get_client()))

    for _ in range(2):
        thread = threading.Thread(target=client_of_this_thread)
        thread.start()
        thread.join()
    (first, *first_clients), (second, *second_clients) = clients
    assert first is not second  # Django's backend per thread...
    assert first_clients == second_clients  # ...with the process's one client
    assert first_clients[0] is first_clients[1]
    assert caches["default"].get("shared") == 1


# A view held open until the test lets it go, and a quick one (ROOT_URLCONF = this module).
held_open, let_go = threading.Event(), threading.Event()


def held_view(request: HttpRequest) -> HttpResponse:
    held_open.set()
    let_go.wait(10)
    return HttpResponse("held")


def thread_view(request: HttpRequest) -> HttpResponse:
    """The thread serving the request, and whether it has a database connection open."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse(str(threading.get_ident()))


urlpatterns = [
    path("held", held_view),
    path("quick", lambda request: HttpResponse("quick")),
    path("thread", thread_view),
]


def test_it_sends_a_client_elsewhere_while_this_process_serves_another(
    asgi_server: str, settings: Any
) -> None:
    # A kept-alive connection stays with the process that accepted it: while that process is
    # busy the client's next request is better accepted by another one.
    settings.ROOT_URLCONF = __name__
    address = urlsplit(asgi_server)
    client = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    client.request("GET", "/quick")
    alone = client.getresponse()
    assert (alone.read(), alone.getheader("Connection")) == (b"quick", None)
    answers: list[tuple[bytes, str | None]] = []
    held_open.clear()
    let_go.clear()

    def held_request() -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", "/held")
        response = connection.getresponse()
        answers.append((response.read(), response.getheader("Connection")))
        connection.close()

    other = threading.Thread(target=held_request)
    other.start()
    assert held_open.wait(10)
    client.request("GET", "/quick")  # the same connection, kept alive
    busy = client.getresponse()
    assert (busy.read(), busy.getheader("Connection")) == (b"quick", "close")
    let_go.set()
    other.join(10)
    # Alone by the time it answered: its connection may stay.
    assert answers == [(b"held", None)]
    client.close()


def test_a_request_runs_in_a_thread_an_earlier_one_left_idle(
    asgi_server: str, settings: Any
) -> None:
    """No thread started (and another to join it) per request; a busy thread is not shared."""
    from django.db import connections

    from writers.asgi import sync_chain_application

    settings.ROOT_URLCONF = __name__
    spare = sync_chain_application.spare_threads
    while spare:  # left by earlier tests in this process
        spare.pop().shutdown()

    def thread_of_a_request(then_spare: int) -> int:
        with urlopen(f"{asgi_server}/thread", timeout=10) as response:
            thread = int(response.read())
        # The client has its answer a moment before the request has closed it and left.
        deadline = time.monotonic() + 10
        while len(spare) < then_spare and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(spare) == then_spare
        return thread

    first = thread_of_a_request(then_spare=1)
    assert thread_of_a_request(then_spare=1) == first
    # The request gave its database connection back as it finished, in its thread.
    assert spare[0].submit(lambda: connections["default"].connection).result(10) is None

    held_open.clear()
    let_go.clear()
    held = threading.Thread(target=urlopen, args=(f"{asgi_server}/held",), kwargs={"timeout": 10})
    held.start()
    assert held_open.wait(10)
    beside = thread_of_a_request(then_spare=1)  # the only spare thread holds the view
    assert beside != first
    let_go.set()
    held.join(10)
    deadline = time.monotonic() + 10
    while len(spare) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert {thread_of_a_request(then_spare=2) for _ in range(4)} <= {first, beside}
