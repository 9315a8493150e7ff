"""The probe that opens uploads (web) and extracts documents' text (worker) runs in a sandbox:
limits, no network, nothing of the parent's environment, a private temporary directory. The
child here is started the way run_probe starts the probe and enters the probe's own sandbox,
then reports what it can see and do."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tasks_app import probe, uploads

REPORT = """
import json, os, resource, socket, tempfile
from tasks_app.probe import enter_sandbox
enter_sandbox()
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    network = "reached"
except OSError as error:
    network = error.errno
names = ("RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_CORE")
tmp = tempfile.gettempdir()
with open(os.path.join(tmp, "left-behind"), "w") as file:
    file.write("scratch")
print(json.dumps({{
    "network": network,
    "limits": {{name: resource.getrlimit(getattr(resource, name)) for name in names}},
    "environment": dict(os.environ),
    "tmp": tmp,
    "tmp_mode": os.stat(tmp).st_mode & 0o777,
}}))
"""


def can_make_network_namespaces() -> bool:
    """What this kernel and these privileges allow, tried in a throwaway process."""
    flags = probe.CLONE_NEWNET if os.geteuid() == 0 else probe.CLONE_NEWUSER | probe.CLONE_NEWNET
    script = f"import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare({flags}) != 0)"
    return subprocess.run([sys.executable, "-c", script], check=False).returncode == 0


@pytest.fixture
def listener() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections from this machine's network."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def report(listener: int, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], str]:
    monkeypatch.setenv("SECRET_KEY", "the parent's secret")
    completed = uploads.run_sandboxed(["-c", REPORT.format(port=listener)], timeout=60)
    assert completed.returncode == 0, completed.stderr.decode()[-3000:]
    return json.loads(completed.stdout), completed.stderr.decode()


def test_it_cannot_reach_the_network(report: tuple[dict[str, Any], str]) -> None:
    found, notes = report
    if not can_make_network_namespaces():
        # Documented (README): without the privilege the probe keeps the network, and says so.
        assert found["network"] == "reached"
        assert f"{probe.SANDBOX_NOTE}no network namespace" in notes
        pytest.skip("this machine allows no network namespace here")
    assert found["network"] != "reached"
    assert notes == ""


def test_it_runs_under_limits_it_cannot_raise(report: tuple[dict[str, Any], str]) -> None:
    limits = report[0]["limits"]
    expected = {
        "RLIMIT_AS": probe.MEMORY_LIMIT_BYTES,
        "RLIMIT_CPU": probe.CPU_LIMIT_SECONDS,
        "RLIMIT_FSIZE": probe.FILE_SIZE_LIMIT_BYTES,
        "RLIMIT_NOFILE": probe.OPEN_FILES_LIMIT,
        "RLIMIT_CORE": 0,
    }
    for name, value in expected.items():
        assert limits[name] == [value, value], name
    soft, hard = limits["RLIMIT_NPROC"]
    assert soft == hard != resource.RLIM_INFINITY


def test_it_inherits_no_environment(report: tuple[dict[str, Any], str]) -> None:
    environment = report[0]["environment"]
    assert set(environment) <= {"PATH", "LANG", "TMPDIR", "PYTHONDONTWRITEBYTECODE"}
    assert "the parent's secret" not in json.dumps(environment)


def test_it_has_a_private_temporary_directory_removed_afterwards(
    report: tuple[dict[str, Any], str],
) -> None:
    found = report[0]
    assert found["environment"]["TMPDIR"] == found["tmp"]
    assert Path(found["tmp"]).name.startswith("writers-probe-")
    assert found["tmp_mode"] == 0o700
    assert not Path(found["tmp"]).exists()


def test_the_probe_itself_enters_the_sandbox(audio_files: dict[str, Path]) -> None:
    # The real entry point, through run_probe, still reads a recording in there.
    assert uploads.run_probe(audio_files[".ogg"], "audio")["ok"] is True


def test_it_logs_once_what_the_machine_does_not_allow(caplog: pytest.LogCaptureFixture) -> None:
    note = f"{probe.SANDBOX_NOTE}no network namespace (Operation not permitted): …".encode()
    uploads._logged_notes.discard(note.decode())
    uploads._log_sandbox_notes(note + b"\nTraceback: not a note\n")
    uploads._log_sandbox_notes(note)
    assert [r.getMessage() for r in caplog.records] == [note.decode()]


def test_each_probe_is_a_fresh_child_of_one_warm_server() -> None:
    # No Python start-up and PyAV import per upload (issue 18's fixed cost per task).
    script = "import os, sys; print(os.getppid(), os.getpid(), 'av' in sys.modules)"
    first, second = (
        uploads.run_sandboxed(["-c", script], timeout=60).stdout.split() for _ in range(2)
    )
    assert first[0] == second[0] != str(os.getpid()).encode()
    assert first[1] != second[1]
    assert first[2] == second[2] == b"True"


def test_a_probe_killed_at_its_timeout_leaves_the_server_serving() -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        uploads.run_sandboxed(["-c", "import time; time.sleep(60)"], timeout=0.5)
    completed = uploads.run_sandboxed(["-c", "import sys; print('next'); sys.exit(3)"], timeout=60)
    assert (completed.returncode, completed.stdout) == (3, b"next\n")


def test_a_server_that_died_is_started_again() -> None:
    script = "import os; print(os.getppid())"
    server = int(uploads.run_sandboxed(["-c", script], timeout=60).stdout)
    os.kill(server, signal.SIGKILL)
    wait_until_gone(server)
    again = int(uploads.run_sandboxed(["-c", script], timeout=60).stdout)
    assert again != server


def wait_until_gone(pid: int) -> None:
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return
        time.sleep(0.05)
