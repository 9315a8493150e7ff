"""`make run` is a product, not a debug server: DEBUG off over plain HTTP on loopback with a
generated key, an embedded Redis on a unix socket that collides with no other Redis or Writers,
and a taken port told in one line. Settings are read once at import, so each case imports them
in a process of its own with the environment `make run` gives."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from scripts.services import free_port
from writers.tests.test_private_storage import wait_for_socket

ROOT = settings.BASE_DIR
# What an outer environment (the test harness, a developer's shell) could set that `make run`
# would otherwise pick up.
OUTER = (
    "DEBUG",
    "HTTPS",
    "SECRET_KEY",
    "REDIS_URL",
    "REDIS_CACHE_DB",
    "REDIS_QUEUE_DB",
    "DATABASE_URL",
    "STORAGE_ROOT",
    "PORT",
    "WEB_PORT",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "AUTH_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
)
SHOWN = (
    "DEBUG",
    "HTTPS",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "AUTH_COOKIE_SECURE",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "REDIS_URL",
    "CACHES",
    "RQ_QUEUES",
    "STORAGES",
    "SITE_URL",
)


def clean_env(storage: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in OUTER}
    return {**env, "STORAGE_ROOT": str(storage), **overrides}


def settings_with(storage: Path, **env: str) -> dict:
    code = (
        "import json, writers.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {SHOWN!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(storage, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


def test_make_runs_environment_serves_plain_http_without_debug(tmp_path: Path) -> None:
    found = settings_with(tmp_path, DEBUG="0", HTTPS="0")
    assert found["DEBUG"] is False
    # Cookies a browser keeps on http://127.0.0.1, and no redirect to an https nobody serves.
    for name in ("AUTH_COOKIE_SECURE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert found[name] is False, name
    assert found["SECURE_SSL_REDIRECT"] is False
    assert found["SECURE_HSTS_SECONDS"] == 0
    assert "ManifestStaticFilesStorage" in found["STORAGES"]["staticfiles"]["BACKEND"]
    hosts = found["ALLOWED_HOSTS"]
    assert {"localhost", "127.0.0.1", "[::1]", socket.gethostname()} <= set(hosts)
    assert "*" not in hosts


def test_it_generates_a_private_secret_key_once_with_debug_off(tmp_path: Path) -> None:
    first = settings_with(tmp_path, DEBUG="0")["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert first == key_file.read_text().strip()
    assert len(first) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert settings_with(tmp_path, DEBUG="0")["SECRET_KEY"] == first
    assert settings_with(tmp_path, DEBUG="0", SECRET_KEY="given")["SECRET_KEY"] == "given"


def test_debug_off_alone_keeps_the_https_defaults_of_production(tmp_path: Path) -> None:
    found = settings_with(tmp_path, DEBUG="0")
    assert found["HTTPS"] is True
    for name in ("AUTH_COOKIE_SECURE", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        assert found[name] is True, name
    assert found["SECURE_SSL_REDIRECT"] is True
    assert found["SECURE_HSTS_SECONDS"] == 31536000


def test_the_default_redis_is_a_socket_under_storage_root(tmp_path: Path) -> None:
    found = settings_with(tmp_path, DEBUG="0", HTTPS="0")
    password = (tmp_path / "redis_password").read_text().strip()
    socket_path = tmp_path / "redis" / "redis.sock"
    assert found["REDIS_URL"] == f"unix://:{password}@{socket_path}"
    # The database of each use goes in the query: a socket's URL path is the socket.
    assert found["CACHES"]["default"]["LOCATION"] == f"unix://:{password}@{socket_path}?db=1"
    assert found["RQ_QUEUES"]["media"]["URL"] == f"unix://:{password}@{socket_path}?db=2"
    given = settings_with(tmp_path, REDIS_URL="redis://:pw@redis.example:6380")
    assert given["RQ_QUEUES"]["media"]["URL"] == "redis://:pw@redis.example:6380/2"


def test_site_url_follows_the_port_of_make_run(tmp_path: Path) -> None:
    assert settings_with(tmp_path, WEB_PORT="8123")["SITE_URL"] == "http://127.0.0.1:8123"


def make_run(port: int) -> list[str]:
    # -o: the recipe, not the install (requirements.txt may be newer than .venv in a checkout
    # where people work, and pip must not run here).
    return ["make", "--no-print-directory", "-o", ".venv/.installed", "run", f"PORT={port}"]


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            make_run(port),
            cwd=ROOT,
            env=clean_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    line = next(line for line in result.stderr.splitlines() if line.startswith("Port "))
    assert re.fullmatch(
        rf"Port {port} is taken by another program: run `make run PORT=\d+`\.", line
    )
    # It stopped before anything else: no database was made.
    assert not (tmp_path / "writers.sqlite3").exists()


@contextlib.contextmanager
def something_on_6379() -> Iterator[None]:
    """A listener on 127.0.0.1:6379, as a Redis the user already runs would be; when one is
    there already, that one does."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", 6379))
            listener.listen()
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                pytest.skip(f"cannot listen on 127.0.0.1:6379: {error}")
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            pass
        yield


def start_embedded_redis(storage: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "embedded_redis"],
        cwd=ROOT,
        env=clean_env(storage, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_the_embedded_redis_starts_while_another_listens_on_6379(tmp_path: Path) -> None:
    with something_on_6379():
        process = start_embedded_redis(tmp_path)
        try:
            socket_path = tmp_path / "redis" / "redis.sock"
            wait_for_socket(socket_path, process)
            password = (tmp_path / "redis_password").read_text().strip()
            assert redis.Redis(unix_socket_path=str(socket_path), password=password).ping()
            assert stat.S_IMODE(socket_path.stat().st_mode) == 0o700
        finally:
            stop(process)


def test_a_second_embedded_redis_on_the_same_storage_says_why_it_stops(tmp_path: Path) -> None:
    first = start_embedded_redis(tmp_path)
    try:
        socket_path = tmp_path / "redis" / "redis.sock"
        wait_for_socket(socket_path, first)
        second = start_embedded_redis(tmp_path)
        _, error = second.communicate(timeout=60)
        assert second.returncode != 0
        assert f"Another Writers already runs with STORAGE_ROOT={tmp_path}" in error
        # The first one still has its socket: redis-server would have unlinked it.
        password = (tmp_path / "redis_password").read_text().strip()
        assert redis.Redis(unix_socket_path=str(socket_path), password=password).ping()
    finally:
        stop(first)


def test_with_redis_url_set_the_embedded_redis_stays_out_of_the_way(tmp_path: Path) -> None:
    process = start_embedded_redis(tmp_path, REDIS_URL="redis://:pw@redis.example:6379")
    try:
        assert process.stdout is not None
        assert "REDIS_URL is set" in process.stdout.readline()
        # honcho stops every process when one exits: this one must keep running.
        time.sleep(1)
        assert process.poll() is None
        assert not (tmp_path / "redis").exists()
    finally:
        stop(process)


def fetch(url: str) -> tuple[int, str, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def wait_for_health(port: int, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make run on {port} stopped:\n{log.read_text()[-4000:]}"
        with contextlib.suppress(OSError):
            if fetch(f"http://127.0.0.1:{port}/health")[0] == 200:
                return
        time.sleep(1)
    raise AssertionError(f"no /health on {port} after {timeout} s:\n{log.read_text()[-4000:]}")


def stop_group(process: subprocess.Popen) -> None:
    """Ctrl-C's way: every process `make run` started gets SIGTERM, and honcho waits for them."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@pytest.mark.slow
def test_two_make_runs_serve_side_by_side(tmp_path: Path) -> None:
    stacks = []
    with something_on_6379():
        try:
            for name in ("one", "two"):
                storage, port, log = tmp_path / name, free_port(), tmp_path / f"{name}.log"
                env = clean_env(
                    storage,
                    MODEL_NAME="tiny.en",
                    WORKER_CONCURRENCY="1",
                    ENABLE_RESOURCE_MONITORING="0",
                )
                with log.open("w") as output:
                    process = subprocess.Popen(
                        make_run(port),
                        cwd=ROOT,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                stacks.append((port, process, log, storage))
            for port, process, log, _ in stacks:
                wait_for_health(port, process, log, timeout=300)
            for port, _, _, storage in stacks:
                status, html, headers = fetch(f"http://127.0.0.1:{port}/login")
                assert status == 200
                # A cookie a browser keeps over plain HTTP: `make run` serves no HTTPS.
                assert "csrftoken=" in headers["Set-Cookie"]
                assert "Secure" not in headers["Set-Cookie"]
                stylesheet = re.search(r'href="(/static/css/writers\.[0-9a-f]+\.css)"', html)
                assert stylesheet, "hashed static files: DEBUG is off"
                assert fetch(f"http://127.0.0.1:{port}{stylesheet[1]}")[0] == 200
                # A missing page is the app's, not Django's technical 404 with the URL list.
                status, html, _ = fetch(f"http://127.0.0.1:{port}/no-such-page")
                assert status == 404
                assert "Nothing here" in html
                assert "URLconf" not in html
                assert (storage / "redis" / "redis.sock").exists()
        finally:
            for _, process, _, _ in stacks:
                stop_group(process)
    for port, process, _, storage in stacks:
        assert process.returncode is not None
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        assert not (storage / "redis" / "redis.sock").exists()
