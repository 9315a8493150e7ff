"""Gunicorn behind the real nginx config on loopback, as compose runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from scripts.services import free_ports, wait_for_port
from writers.tests.test_deploy_config import need, render_nginx

SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


@dataclass
class Stack:
    https: str
    http: str
    gunicorn: str
    app_log: Path


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def stack(transactional_db, tmp_path: Path) -> Iterator[Stack]:
    assert connection.vendor == "postgresql", "run through `make test` (PostgreSQL)"
    # Chosen together: ports picked one by one can repeat, and gunicorn's port then answers
    # with nginx's redirect (CI saw /metrics give 301).
    app_port, http_port, https_port, status_port = free_ports(4)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "STORAGE_ROOT": str(settings.STORAGE_ROOT),
        "PORT": str(app_port),
        "WEB_CONCURRENCY": "2",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "0",
        "METRICS_ALLOWED_NETWORKS": "127.0.0.0/8",
        "SECRET_KEY": settings.SECRET_KEY,  # tokens the test issues must verify there
        "MODEL_NAME": settings.MODEL_NAME,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "X_ACCEL_REDIRECT": "1",  # as compose sets it for the web
    }
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "writers.asgi:application",
            "--config",
            "deploy/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{app_port}",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=open(tmp_path / "gunicorn.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    conf = render_nginx(
        tmp_path / "nginx",
        f"127.0.0.1:{app_port}",
        {"HTTP_PORT": http_port, "HTTPS_PORT": https_port, "STATUS_PORT": status_port},
    )
    nginx = subprocess.Popen(
        [
            need("nginx"),
            "-c",
            conf,
            "-p",
            tmp_path / "nginx",
            "-e",
            tmp_path / "nginx-error.log",
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(app_port, process=gunicorn)
        wait_for_port(https_port, process=nginx)
        yield Stack(
            f"https://localhost:{https_port}",
            f"http://localhost:{http_port}",
            f"http://127.0.0.1:{app_port}",
            tmp_path / "gunicorn.log",
        )
    finally:
        for process in (nginx, gunicorn):
            process.send_signal(signal.SIGTERM)
        for process in (nginx, gunicorn):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                log = (tmp_path / "gunicorn.log").read_text(errors="replace")[-4000:]
                pytest.fail(f"{process.args[0]} outlived SIGTERM by 30 s; gunicorn's log:\n{log}")


def fetch(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, single_headers(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, single_headers(error.headers), error.read()


def single_headers(headers: Message) -> dict[str, str]:
    """Headers as a dict, failing on any header sent twice (app and proxy both adding it)."""
    names = [name.lower() for name in headers]
    assert len(names) == len(set(names)), f"duplicate headers: {headers.items()}"
    return dict(headers)


def test_it_serves_health_over_tls_with_the_security_headers(stack: Stack):
    status, headers, body = fetch(f"{stack.https}/health")
    assert status == 200, body
    for name, expected in SECURITY_HEADERS.items():
        assert headers[name] == expected
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["Server"] == "nginx"  # server_tokens off: no version
    assert headers["X-Request-ID"]


def test_it_redirects_plain_http_to_https(stack: Stack):
    status, headers, _ = fetch(f"{stack.http}/login")
    assert status == 301
    assert headers["Location"].startswith("https://localhost:")


def test_it_hides_metrics_from_outside(stack: Stack):
    assert fetch(f"{stack.https}/metrics")[0] == 404
    assert fetch(f"{stack.gunicorn}/metrics")[0] == 200


def test_it_refuses_a_101_mb_body_before_the_app_reads_it(stack: Stack):
    """nginx answers 413 after the headers; the app's log shows no request at all."""
    https_port = int(stack.https.rsplit(":", 1)[1])
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    size = 101 * 1024 * 1024
    with (
        socket.create_connection(("127.0.0.1", https_port)) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(
            (
                f"POST /api/v1/tasks HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/flac\r\n"
                f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        tls.settimeout(10)
        answer = tls.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert fetch(f"{stack.https}/health")[0] == 200
    deadline = time.monotonic() + 10
    while "GET /health" not in (log := stack.app_log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)  # gunicorn writes the access line just after answering
    assert "GET /health" in log
    assert "/api/v1/tasks" not in log


def test_it_shows_writers_metrics_after_a_transcription_through_nginx(
    stack: Stack, queues: dict, jfk_flac: Path
):
    from accounts.tokens import issue_tokens
    from conftest import make_user
    from transcription import worker

    access, _ = issue_tokens(make_user(name="alice"))
    boundary = "writers-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nJFK\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="jfk.flac"\r\n'
            f"Content-Type: audio/flac\r\n\r\n"
        ).encode()
        + jfk_flac.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    auth = {"Authorization": f"Bearer {access}"}
    status, headers, answer = fetch(
        f"{stack.https}/api/v1/tasks",
        "POST",
        body,
        {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 202, answer

    assert worker.work(burst=True)

    status, _, answer = fetch(f"{stack.https}{urlsplit(headers['Location']).path}", headers=auth)
    assert (status, json.loads(answer)["status"]) == (200, "COMPLETED")
    _, _, exported = fetch(f"{stack.gunicorn}/metrics")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(exported.decode())
        for sample in family.samples
    }
    job = (("device", "cpu"), ("model", "tiny.en"))
    assert samples[("writers_job_duration_seconds_count", job)] == 1
    assert samples[("writers_tasks", (("kind", "transcription"), ("status", "COMPLETED")))] == 1
    assert samples[("writers_attempts_total", ())] == 1


def test_it_lets_nginx_send_a_range_of_an_upload_only_to_its_owner(stack: Stack, jfk_flac: Path):
    """The app checks who asks and answers X-Accel-Redirect; nginx sends the bytes (206)."""
    from accounts.tokens import issue_tokens
    from conftest import make_user
    from tasks_app.models import Kind, Task

    alice, charlie = make_user(name="alice"), make_user(name="charlie")
    task = Task(user=alice, title="JFK", kind=Kind.TRANSCRIPTION, content_type="audio/flac")
    task.file_path = f"uploads/{task.pk}.flac"
    (settings.STORAGE_ROOT / "uploads").mkdir(exist_ok=True)
    (settings.STORAGE_ROOT / task.file_path).write_bytes(jfk_flac.read_bytes())
    task.save()
    url = f"{stack.https}/api/v1/tasks/{task.pk}/file"

    status, headers, body = fetch(
        url, headers={"Authorization": f"Bearer {issue_tokens(alice)[0]}", "Range": "bytes=0-99"}
    )
    assert status == 206, body
    assert body == jfk_flac.read_bytes()[:100]
    assert headers["Content-Range"] == f"bytes 0-99/{jfk_flac.stat().st_size}"
    assert headers["Content-Type"] == "audio/flac"
    assert headers["Content-Disposition"] == 'attachment; filename="JFK.flac"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "X-Accel-Redirect" not in headers

    status, _, body = fetch(url, headers={"Authorization": f"Bearer {issue_tokens(charlie)[0]}"})
    assert status == 404 and jfk_flac.read_bytes()[:100] not in body
    # The internal location answers nobody from outside.
    assert fetch(f"{stack.https}/protected/{task.file_path}")[0] == 404
