"""Memory of `make run`'s processes (issue 18, "Lighter processes"): PSS per process and totals.

Run with `make bench-memory`. Starts every line of the Procfile as `make run` does (its own
`sh -c`, SQLite and the embedded Redis on a temporary STORAGE_ROOT, DEBUG=0), waits for
/health/ready, lets the processes settle, uploads jfk.flac through the API so that a worker
transcribes it with `base` (the default model), and reads each process's PSS (proportional set
size: shared pages split among the processes sharing them, so PSS adds up) and RSS with psutil.

- Worker: the worker process that ran the task, against a bare engine: a fresh process that loads
  `base` with faster-whisper directly (int8, one thread, as the worker) and transcribes the same
  file. Target: worker RSS <= bare engine RSS + 100 MiB.
- Non-worker processes: the web (gunicorn's master and workers, and each worker's warm probe
  server, tasks_app.probe.serve, once an upload started it), the worker supervisor (a script
  without Django, transcription/supervisor.py), the clock (RQ's scheduler is a thread of it), the
  embedded Redis, and the `sh -c` of each Procfile line. Target: <= 250 MiB PSS together.
- Before: the three processes the clock replaces (`sweeper`, `integrations_tick`,
  `schedules_worker`), started in the same run once the clock has stopped, for comparison.

Prints the table and writes it to the "Memory" section of bench/RESULTS.md with the load average:
on a machine shared with other work, compare rows of one run.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

AUDIO = Path(os.environ.get("WRITERS_SHARED_DIR", ROOT.parent / "shared")) / "audio"
JFK = AUDIO / "jfk.flac"
HEADING = "## Memory"
MIB = 1024 * 1024
SETTLE_SECONDS = 10
OLD_COMMANDS = {
    "sweeper": "sweeper",
    "integrations": "integrations_tick",
    "schedules": "schedules_worker",
}
# Set for the test harness or a developer's shell; `make run` has none of them.
UNSET = ("DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
BARE_ENGINE = """
import sys
from faster_whisper import WhisperModel
import psutil
model = WhisperModel(sys.argv[1], device="cpu", compute_type="int8", cpu_threads=1)
segments, _ = model.transcribe(sys.argv[2], beam_size=5)
text = " ".join(segment.text for segment in segments)
memory = psutil.Process().memory_full_info()
print(memory.pss, memory.rss, len(text))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and ":" in line)


def start(command: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            ["sh", "-c", command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(processes: dict[str, subprocess.Popen]) -> None:
    for process in processes.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes.values():
        try:
            process.wait(40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def label(process: psutil.Process) -> str:
    command = process.cmdline()
    joined = " ".join(command)
    if command and Path(command[0]).name in ("sh", "dash", "bash"):
        return "sh -c"
    if "transcription/supervisor.py" in joined.split(" -- ")[0]:
        return "supervisor"
    if "tasks_app.probe --serve" in joined:
        return "probe server"
    if "gunicorn" in joined:
        return "gunicorn"
    if "redis-server" in joined:
        return "redis-server"
    for word in ("--child", "transcription_worker", "embedded_redis", "clock"):
        if word in command:
            return {"--child": "worker", "transcription_worker": "supervisor"}.get(word, word)
    return command[2] if len(command) > 2 and command[1].endswith("manage.py") else joined


def tree(process: subprocess.Popen) -> list[tuple[str, int, int, int]]:
    """(label, pid, PSS, RSS) of the `sh -c` of a Procfile line and everything under it."""
    found = []
    root = psutil.Process(process.pid)
    for member in [root, *root.children(recursive=True)]:
        try:
            memory = member.memory_full_info()
            name = label(member)
            parent = member.parent()
            above = label(parent) if parent is not None else ""
            if name == "gunicorn":
                name = "gunicorn worker" if above == "gunicorn" else "gunicorn master"
            elif name in ("clock", "schedules_worker") and above == name:
                name = f"{name}: RQ scheduler (fork)"
            found.append((name, member.pid, memory.pss, memory.rss))
        except psutil.NoSuchProcess:
            continue
    return found


def wait_ready(base: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/health/ready", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit("make run's processes did not become ready")


def access_token(env: dict[str, str]) -> str:
    script = (
        "from accounts.models import User; from accounts.tokens import issue_tokens; "
        "user = User.objects.create_user(username='bench', email='bench@example.org', "
        "password=None); print(issue_tokens(user)[0])"
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    found = subprocess.run(
        [*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return found.stdout.decode().split()[-1]


def transcribe(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with JFK.open("rb") as audio:
        response = requests.post(
            f"{base}/api/v1/tasks",
            headers=headers,
            data={"title": "jfk"},
            files={"file": ("jfk.flac", audio)},
            timeout=60,
        )
    response.raise_for_status()
    task_id = response.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        task = requests.get(f"{base}/api/v1/tasks/{task_id}", headers=headers, timeout=30).json()
        if task["status"] == "COMPLETED":
            return
        if task["status"] in ("FAILED", "CANCELLED"):
            raise SystemExit(f"the task ended {task['status']}: {task.get('error')}")
        time.sleep(0.5)
    raise SystemExit("the task did not complete within 300 s")


def bare_engine(model: Path) -> tuple[int, int]:
    found = subprocess.run(
        [sys.executable, "-c", BARE_ENGINE, str(model), str(JFK)],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    pss, rss, _length = found.stdout.split()
    return int(pss), int(rss)


def mib(value: float) -> str:
    return f"{value / MIB:.0f} MiB"


def both(pss: int, rss: int) -> str:
    return f"PSS {mib(pss)}, RSS {mib(rss)}"


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    storage = Path(tempfile.mkdtemp(prefix="writers-memory-")) / "storage"
    storage.mkdir()
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(STORAGE_ROOT=str(storage), WEB_PORT=str(port), DEBUG="0", HTTPS="0")
    env.update(LOG_LEVEL="WARNING", WORKER_LOG_LEVEL="WARNING")
    log = storage.parent / "processes.log"
    base = f"http://127.0.0.1:{port}"
    token = access_token(env)
    lines = procfile()
    running = {name: start(command, env, log) for name, command in lines.items()}
    rows: list[tuple[str, str, int, int, int]] = []
    try:
        wait_ready(base)
        time.sleep(SETTLE_SECONDS)
        transcribe(base, token)
        time.sleep(SETTLE_SECONDS)
        load = os.getloadavg()
        for name, process in running.items():
            rows += [(name, *member) for member in tree(process)]
        stop({"clock": running.pop("clock")})
        old = {
            name: start(f".venv/bin/python manage.py {command}", env, log)
            for name, command in OLD_COMMANDS.items()
        }
        try:
            time.sleep(SETTLE_SECONDS * 2)
            before = [
                (f"before: {name}", *member)
                for name, process in old.items()
                for member in tree(process)
            ]
        finally:
            stop(old)
    finally:
        stop(running)
    bare_pss, bare_rss = bare_engine(storage / "models" / "base")
    workers = [row for row in rows if row[1] == "worker"]
    busiest = max(workers, key=lambda row: row[3])
    others = [row for row in rows if row[1] != "worker"]
    web = [row for row in rows if row[0] == "web"]
    clock = sum(row[3] for row in rows if row[0] == "clock")
    table = ["| process | pid | PSS | RSS |", "|---|---|---|---|"]
    table += [
        f"| {line}: {name} | {pid} | {mib(pss)} | {mib(rss)} |"
        for line, name, pid, pss, rss in rows
    ]
    table += [
        f"| {line}: {name} | {pid} | {mib(pss)} | {mib(rss)} |"
        for line, name, pid, pss, rss in before
    ]
    total_others = sum(row[3] for row in others)
    over_bare = busiest[4] - bare_rss
    summary = [
        "| measure | value | target |",
        "|---|---|---|",
        f"| worker that ran the task (base, jfk) | {both(busiest[3], busiest[4])} | |",
        f"| bare engine (faster-whisper, base, same file) | {both(bare_pss, bare_rss)} | |",
        f"| worker - bare engine | {both(busiest[3] - bare_pss, over_bare)} "
        f"| RSS <= +100 MiB: {verdict(over_bare <= 100 * MIB)} |",
        f"| non-worker processes together | PSS {mib(total_others)} "
        f"| <= 250 MiB: {verdict(total_others <= 250 * MIB)} |",
        f"| of which the web ({len(web)} processes) | PSS {mib(sum(row[3] for row in web))} | |",
        f"| of which the clock | PSS {mib(clock)} | |",
        "| before: sweeper + integrations_tick + schedules_worker "
        f"| PSS {mib(sum(row[3] for row in before))} | |",
        f"| all of `make run` | PSS {mib(sum(row[3] for row in rows))} | |",
    ]
    command = shlex.join(["python", "bench/memory.py", *sys.argv[1:]])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"{HEADING}\n\nProduced by `make bench-memory` (`{command}`) on {stamp}, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        "when read; every figure from that one run. How each is measured: the docstring of "
        "`bench/memory.py`.\n\n" + "\n".join(summary) + "\n\n" + "\n".join(table) + "\n"
    )
    print(text)
    write_section(HEADING, text)


if __name__ == "__main__":
    main()
