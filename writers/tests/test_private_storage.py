"""`make run` on a machine with other users: the data and secrets under STORAGE_ROOT are the app's
alone, and the embedded Redis (which holds pickles: writing to it runs code as Writers) has a
generated password. Each test runs the real entry point (manage.py) in a process of its own, as
the umask is set there."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from scripts.services import free_port
from transcription.management.commands.embedded_redis import answers

WRITE_SOME_DATA = """
from django.conf import settings
from django.db import connection
from tasks_app.storage import atomic_write
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x INTEGER)")
    cursor.execute("INSERT INTO probe VALUES (1)")
for name in ("uploads/a.flac", "results/a.json"):
    with atomic_write(settings.STORAGE_ROOT / name) as path:
        path.write_text("private")
print(settings.REDIS_URL)
"""


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fresh_env(storage: Path, **overrides: str) -> dict[str, str]:
    """No SECRET_KEY, REDIS_URL or DATABASE_URL: what `make run` starts with."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return {**env, "STORAGE_ROOT": str(storage), "DATABASE_URL": "", "REDIS_URL": "", **overrides}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_it_keeps_data_and_secrets_private(tmp_path: Path) -> None:
    storage = tmp_path / "data"
    storage.mkdir(mode=0o755)  # as an older install left it
    storage.chmod(0o755)
    result = manage("shell", "--no-imports", "-c", WRITE_SOME_DATA, env=fresh_env(storage))
    assert result.returncode == 0, result.stderr[-3000:]
    assert mode(storage) == 0o700
    for directory in ("uploads", "results"):
        assert mode(storage / directory) == 0o700
    data = [storage / "uploads" / "a.flac", storage / "results" / "a.json"]
    secrets = [storage / "secret_key", storage / "redis_password"]
    for path in [storage / "writers.sqlite3", *data, *secrets]:
        assert mode(path) == 0o600, path
    password = (storage / "redis_password").read_text().strip()
    assert len(password) >= 40
    assert result.stdout.strip() == f"unix://:{password}@{storage / 'redis' / 'redis.sock'}"
    # The next process reads the same secrets instead of making new ones.
    again = manage(
        "shell",
        "--no-imports",
        "-c",
        "print(__import__('django.conf').conf.settings.REDIS_URL)",
        env=fresh_env(storage),
    )
    assert again.stdout.strip() == result.stdout.strip()
    assert not [p.name for p in storage.iterdir() if p.name.startswith(".")]


@pytest.fixture
def embedded_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path, str]]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "embedded_redis"],
        cwd=settings.BASE_DIR,
        env=fresh_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        socket_path = tmp_path / "redis" / "redis.sock"
        wait_for_socket(socket_path, process)
        yield process, socket_path, (tmp_path / "redis_password").read_text().strip()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_socket(path: Path, process: subprocess.Popen, timeout: float = 30) -> None:
    """Until a server accepts connections on the unix socket `path`."""
    deadline = time.monotonic() + timeout
    while not answers(path):
        assert process.poll() is None, f"embedded_redis exited with {process.returncode}"
        assert time.monotonic() < deadline, f"nothing listens on {path} after {timeout} s"
        time.sleep(0.1)


def test_the_embedded_redis_requires_the_password(
    embedded_redis: tuple[subprocess.Popen, Path, str], tmp_path: Path
) -> None:
    process, socket_path, password = embedded_redis
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(unix_socket_path=str(socket_path)).ping()
    assert redis.Redis(unix_socket_path=str(socket_path), password=password).ping()
    # On no command line, where `ps` shows it to every local user; in a file only the app reads.
    assert password.encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes()
    assert mode(tmp_path / "redis") == 0o700
    assert mode(tmp_path / "redis" / "redis.conf") == 0o600


def test_waiting_for_redis_does_not_print_its_password(tmp_path: Path) -> None:
    env = fresh_env(tmp_path, REDIS_URL=f"redis://:pw-in-url@127.0.0.1:{free_port()}")
    result = manage("wait_for_redis", "--timeout", "0.3", env=env)
    assert result.returncode != 0
    assert "did not answer" in result.stderr
    assert "pw-in-url" not in result.stdout + result.stderr
