"""Crashing and restarting the run's own PostgreSQL (no Django here: the runner uses it before
Django is set up)."""

from __future__ import annotations

import subprocess
import time

from scripts.services import PostgresServer


def crash_and_restart_postgres(server: PostgresServer, down_seconds: float) -> float:
    """Stop PostgreSQL in immediate mode (no checkpoint: crash recovery on start, as after a
    power cut), keep it down `down_seconds`, start it on the same port and data. Returns when
    (epoch) it accepted connections again."""
    data = server.directory / "data"
    pg_ctl = [str(server.bindir / "pg_ctl"), "-D", str(data), "-w"]
    owner = server._as_owner()
    subprocess.run([*pg_ctl, "-m", "immediate", "stop"], check=True, capture_output=True, **owner)
    time.sleep(down_seconds)
    options = f"-p {server.port} -h 127.0.0.1 -k {server.directory} -c max_connections=200"
    log = str(server.directory / "postgres-restarted.log")
    subprocess.run(
        [*pg_ctl, "-o", options, "-l", log, "start"], check=True, capture_output=True, **owner
    )
    return time.time()


def stop_postgres(server: PostgresServer) -> None:
    """Stop a PostgreSQL that pg_ctl restarted (it is no longer the server's own child)."""
    pg_ctl = [str(server.bindir / "pg_ctl"), "-D", str(server.directory / "data"), "-w"]
    subprocess.run(
        [*pg_ctl, "-m", "fast", "stop"], check=False, capture_output=True, **server._as_owner()
    )
