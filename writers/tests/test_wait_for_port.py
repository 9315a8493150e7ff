"""scripts.services.wait_for_port: a server is ready once *it* listens on its port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from scripts.services import free_port, wait_for_port

# Listens on the port given as its argument after a moment, as a server that starts slowly.
SERVER = (
    "import socket, sys, time; time.sleep(0.3); s = socket.socket(); "
    "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); time.sleep(30)"
)
# Runs Python with its arguments as a child, as a launcher that does not exec its server.
PARENT = "import subprocess, sys; subprocess.run([sys.executable, *sys.argv[1:]])"


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []
    yield started
    for process in started:  # each leads its own group: a server it started goes with it
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_it_is_not_fooled_by_another_server_on_the_port(processes):
    """The port was taken by someone else between choosing it and the server binding it."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        idle = [sys.executable, "-c", "import time; time.sleep(30)"]
        processes.append(subprocess.Popen(idle, start_new_session=True))
        with pytest.raises(RuntimeError, match=f"does not listen on port {port} "):
            wait_for_port(port, timeout=1, process=processes[-1])


def test_it_returns_once_the_process_listens(processes):
    port = free_port()
    processes.append(
        subprocess.Popen([sys.executable, "-c", SERVER, str(port)], start_new_session=True)
    )
    wait_for_port(port, timeout=10, process=processes[-1])
    with socket.create_connection(("127.0.0.1", port), 1):
        pass


def test_it_counts_a_server_the_process_started(processes):
    port = free_port()
    command = [sys.executable, "-c", PARENT, "-c", SERVER, str(port)]
    processes.append(subprocess.Popen(command, start_new_session=True))
    wait_for_port(port, timeout=10, process=processes[-1])


def test_it_says_which_server_exited(processes):
    processes.append(
        subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"], start_new_session=True)
    )
    with pytest.raises(RuntimeError, match="exited with 3"):
        wait_for_port(free_port(), timeout=10, process=processes[-1])
