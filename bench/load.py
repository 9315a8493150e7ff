"""Writers under load: gunicorn on loopback, 10 000 tasks in 50 workspaces in PostgreSQL, wrk
over the task list, the task detail and the status poll; then 50 concurrent 10 MB uploads.

The seed (issue 16): 20 users, each with a personal workspace, and 30 team workspaces of 4 to 6
members. The user under test belongs to 10 of the 50 (their personal one; admin of 3 teams,
editor of 3, viewer of 3), which hold half the tasks; the other 40 hold the rest, so every list
and poll has to leave out tasks of workspaces the user is not in. Tasks have owners and assignees
among their workspace's members, priorities, and 0 to 2 of their workspace's 5 tags. Before the
web runs, the list's queries are printed with PostgreSQL's EXPLAIN ANALYZE.

Run with `make load` (a throwaway PostgreSQL and Redis from scripts/services.py; needs `wrk`,
Debian's `apt-get install wrk`). Prints the figures and writes them to bench/LOAD.md with the
command; asserts nothing. Targets from issue 7: p95 < 100 ms for the poll and the list page of
100, zero errors; every upload accepted, web workers' memory bounded.

gunicorn runs as deployed (deploy/gunicorn.conf.py: 2 x cores + 1 uvicorn workers on
writers.asgi) with DEBUG off. Each endpoint gets a 3-second warm-up run before the measured
one, so the figures are steady state rather than each worker's first imports.
wrk shares the machine's cores with gunicorn and PostgreSQL, so on a small machine
the figures are a floor, not what a separate client would see.

Then (issue 18 item 7, `--transcribing N`, 2 by default, 0 to skip) the status poll and `/health`
again under a lighter load (wrk with TRANSCRIBING_CONNECTIONS connections), first with no worker
and then while `manage.py transcription_worker --concurrency N` transcribes real speech
(jfk.flac four times over, 44 s, with `--worker-model`) in a loop: a feeder uploads a new copy
through the API whenever fewer than N of its uploads wait, so every worker is always busy. The
CPU each side used during each row says what share the web got. Target: p99 < 100 ms. Written
to its own section of bench/LOAD.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "LOAD.md"
WARMUP_SECONDS = 3
# wrk's Lua: random task ids for the detail and poll paths, and the percentiles as one JSON line.
WRK_SCRIPT = """
local ids = {%s}
local headers = {%s}
local template = "%s"
request = function()
  local path = template:gsub("{id}", ids[math.random(#ids)])
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "errors": %%d, "p50": %%f, "p95": %%f, "p99": %%f}\\n',
    summary.requests, summary.duration / 1e6, errors,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3))
end
"""


def setup_django(storage: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="writers.settings",
        STORAGE_ROOT=str(storage),
        DEBUG="0",
        SECRET_KEY=os.environ.get("SECRET_KEY") or uuid.uuid4().hex * 2,
        SECURE_SSL_REDIRECT="0",
        AUTH_COOKIE_SECURE="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # DEBUG off serves hashed static files from the manifest, as `make run` does.
    call_command("collectstatic", interactive=False, verbosity=0)


USERS = 20
TEAMS = 30
# The user under test's roles in the first nine teams; the other 21 teams are not theirs.
LOAD_ROLES = ["admin"] * 3 + ["editor"] * 3 + ["viewer"] * 3
TAGS_PER_WORKSPACE = 5


def seed(count: int) -> tuple[Any, list[str]]:
    """`count` tasks in 50 workspaces (see the module's docstring), most of them finished
    transcriptions; returns the user under test and ids of 500 tasks they can see."""
    import random

    from django.db import connection

    from accounts.models import User
    from tasks_app.models import Kind, Priority, Status, Task
    from tasks_app.tags.models import Tag
    from tasks_app.workspaces.models import Membership, Role, Workspace

    chance = random.Random(16)
    # Every new user gets a personal workspace (a post_save signal): 20 of the 50.
    user = User.objects.create_user(username="load", email="load@example.org", password=None)
    others = [
        User.objects.create_user(username=f"user{n}", email=f"user{n}@example.org", password=None)
        for n in range(1, USERS)
    ]
    members: dict[int, list[Any]] = {
        workspace.pk: [workspace.personal_owner]
        for workspace in Workspace.objects.filter(personal_owner__isnull=False)
    }
    mine = [Workspace.objects.get(personal_owner=user)]
    memberships = []
    for number in range(TEAMS):
        team = Workspace.objects.create(name=f"Team {number}", created_by=others[0])
        people = chance.sample(others, chance.randint(3, 5))
        roles = [Role.ADMIN] + [chance.choice(list(Role)) for _ in people[1:]]
        if number < len(LOAD_ROLES):
            people.append(user)
            roles.append(Role(LOAD_ROLES[number]))
            mine.append(team)
        memberships += [
            Membership(workspace=team, user=person, role=role)
            for person, role in zip(people, roles, strict=True)
        ]
        members[team.pk] = people
    Membership.objects.bulk_create(memberships)
    tags = {
        pk: Tag.objects.bulk_create(
            [Tag(workspace_id=pk, name=f"tag {n}") for n in range(TAGS_PER_WORKSPACE)]
        )
        for pk in members
    }
    theirs = [pk for pk in members if pk not in {w.pk for w in mine}]
    statuses = [Status.COMPLETED] * 8 + [Status.FAILED, Status.PENDING]
    now = datetime.now(UTC)
    tasks, links = [], []
    for number in range(count):
        task_id = uuid.uuid4()
        status = statuses[number % len(statuses)]
        # Half the tasks in the user's 10 workspaces, half in the other 40.
        workspace = mine[number // 2 % len(mine)].pk if number % 2 else chance.choice(theirs)
        people = members[workspace]
        tasks.append(
            Task(
                id=task_id,
                user=chance.choice(people),
                workspace_id=workspace,
                assignee=chance.choice(people) if number % 3 else None,
                priority=chance.choice(list(Priority)),
                title=f"Interview {number}",
                kind=Kind.TRANSCRIPTION,
                status=status,
                file_path=f"uploads/{task_id}.flac",
                original_filename=f"interview-{number}.flac",
                file_size=1_000_000,
                duration_seconds=600,
                progress=1 if status == Status.COMPLETED else 0,
                transcript_text="ask not what your country can do for you " * 20,
                created_at=now - timedelta(minutes=number),
                completed_at=now - timedelta(minutes=number)
                if status == Status.COMPLETED
                else None,
            )
        )
        links += [
            Task.tags.through(task_id=task_id, tag_id=tag.pk)
            for tag in chance.sample(tags[workspace], number % 3)
        ]
    Task.objects.bulk_create(tasks, batch_size=1000)
    Task.tags.through.objects.bulk_create(links, batch_size=5000)
    # As autovacuum would shortly after a bulk load: without statistics the planner picks
    # plans for an empty table, and without the visibility map (VACUUM) the list's COUNT(*)
    # reads every visible task's row instead of the partial live-task index alone (15 → 2 ms);
    # the figures would measure a table no install keeps for long instead of Writers.
    all_visible(connection, "tasks_app_task")
    visible = [str(task.id) for task in tasks if task.workspace_id in {w.pk for w in mine}]
    return user, visible[:500]


def all_visible(connection: Any, table: str, timeout: float = 30) -> None:
    """VACUUM ANALYZE until `table`'s pages are all marked visible. A VACUUM right after the
    load marks none of them (scripts/services.py's PostgreSQL commits asynchronously, and a
    row's commit is not taken as seen by all before its WAL is flushed): the runs of
    2026-12-01 before 18:30 measured the list's COUNT(*) reading 5000 tasks' heap pages."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute(
                "SELECT relallvisible >= relpages FROM pg_class WHERE relname = %s", [table]
            )
            if cursor.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"VACUUM left pages of {table} not all visible")
            time.sleep(0.5)


def explain_list(token: str) -> list[str]:
    """Every query of one API list page of 100 (run in-process), with the plan PostgreSQL picks
    and its measured time (EXPLAIN ANALYZE): the membership join must not cost per task."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = Client(SERVER_NAME="localhost").get(
            "/api/v1/tasks?limit=100", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.content[:200]
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if not query["sql"].startswith("SELECT"):
                continue
            # The statements Django itself just ran, with their parameters in place.
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
            # Long lines are the IN lists of the prefetches: their start says enough.
            plan = "\n".join(row[0][:160] for row in cursor.fetchall())
            plans.append(f"{query['sql'][:160]}…\n{plan}")
    return plans


IN_PROCESS_REQUESTS = 30


def in_process(token: str, ids: list[str]) -> list[str]:
    """Each endpoint's median and slowest time of IN_PROCESS_REQUESTS requests one after another
    through Django's test client in this process: what the code costs, without wrk, gunicorn
    and the other workers competing for the cores (on a shared machine wrk's figures say more
    about the neighbours)."""
    import statistics

    from django.test import Client

    client = Client(SERVER_NAME="localhost")
    client.cookies["access_token"] = token
    bearer = {"Authorization": f"Bearer {token}"}
    runs = [
        ("API task list, 100 per page", "/api/v1/tasks?limit=100", bearer),
        ("API task detail", "/api/v1/tasks/{id}", bearer),
        ("dashboard page (list)", "/dashboard", {}),
        ("task page (detail)", "/dashboard/tasks/{id}", {}),
        ("status poll (HTMX partial)", "/dashboard/tasks/{id}/status", {"HX-Request": "true"}),
        ("analytics overview, every workspace", "/api/v1/analytics/overview", bearer),
    ]
    lines = []
    for label, template, headers in runs:
        times = []
        for number in range(IN_PROCESS_REQUESTS + 3):
            path = template.replace("{id}", ids[number % len(ids)])
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            assert response.status_code in (200, 286), (path, response.status_code)
            if number >= 3:  # the first requests fill caches, as wrk's warm-up does
                times.append((time.perf_counter() - started) * 1000)
        lines.append(
            f"| {label} | `{template}` | {statistics.median(times):.1f} | {max(times):.1f} |"
        )
    return lines


WEB_ARGS = ("writers.asgi:application", "-c", "deploy/gunicorn.conf.py")


def start_gunicorn(port: int, log: Path, web_args: tuple[str, ...] = WEB_ARGS) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *web_args]
        + ["--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null"]
        # Not replaced every 2000 requests as deployed: /health's row alone makes thousands a
        # second, and the next rows measured the new workers' imports (p95 0.8 s).
        + ["--max-requests", "0"],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from scripts.services import wait_for_port

    wait_for_port(port, timeout=60, process=process)
    wait_for_workers(process, log)
    return process


def wait_for_workers(process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    """gunicorn listens before its workers have imported Django, which takes a worker 20 s on a
    busy machine: wait until each uvicorn worker says it is ready, so that wrk measures the web
    rather than its start (a run of 2026-12-01 at load 13 counted 0 requests in 13 s)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Using worker:" in text:
            if "uvicorn" not in text.split("Using worker:")[1].split("\n")[0]:
                return  # other workers log nothing when ready; they import before accepting
            workers = len(psutil.Process(process.pid).children())
            if workers and text.count("Application startup complete.") >= workers:
                return
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn's workers did not start within {timeout:.0f} s: see {log}")


def wrk(
    port: int,
    template: str,
    headers: dict[str, str],
    ids: list[str],
    connections: int,
    seconds: int,
) -> dict:
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(
        WRK_SCRIPT
        % (
            ",".join(f'"{i}"' for i in ids),
            ",".join(f'["{k}"] = "{v}"' for k, v in headers.items()),
            template,
        )
    )
    completed = subprocess.run(
        ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s"]
        + ["-s", str(script), f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        check=True,
    )
    script.unlink()
    figures = json.loads(completed.stdout.strip().splitlines()[-1])
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


def web_rss(gunicorn: subprocess.Popen) -> tuple[int, int]:
    """(largest worker's RSS, all of gunicorn's RSS) in bytes."""
    parent = psutil.Process(gunicorn.pid)
    workers = [p.memory_info().rss for p in parent.children()]
    return max(workers, default=0), parent.memory_info().rss + sum(workers)


def upload_wav(path: Path, megabytes: int) -> None:
    seconds = megabytes * 1024 * 1024 / 32000  # 16 kHz mono 16-bit
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"sine=duration={seconds}"]
        + ["-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(path)],
        check=True,
    )


def uploads(port: int, token: str, path: Path, count: int, gunicorn: Any) -> dict[str, Any]:
    body_head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="title"\r\n\r\nload\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="load.wav"'
        b"\r\nContent-Type: audio/wav\r\n\r\n"
    )
    body = body_head + path.read_bytes() + b"\r\n--b0undary--\r\n"
    statuses: list[int] = []
    baseline_worker, baseline_total = web_rss(gunicorn)
    peak = {"worker": baseline_worker, "total": baseline_total}
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.05):
            worker, total = web_rss(gunicorn)
            peak["worker"] = max(peak["worker"], worker)
            peak["total"] = max(peak["total"], total)

    def send() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        connection.request(
            "POST",
            "/api/v1/tasks",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=b0undary",
            },
        )
        statuses.append(connection.getresponse().status)
        connection.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    senders = [threading.Thread(target=send) for _ in range(count)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    wall = time.monotonic() - started
    sampling.set()
    sampler.join()
    return {
        "accepted": statuses.count(202),
        "statuses": sorted(set(statuses)),
        "wall": wall,
        "baseline_worker": baseline_worker,
        "peak_worker": peak["worker"],
        "peak_total": peak["total"],
        "mb": len(body) / 2**20,
    }


TRANSCRIBING_HEADING = "## The status poll and /health while transcriptions run"
TRANSCRIBING_CONNECTIONS = 2
SPEECH_REPEATS = 4


def speech_clip(path: Path) -> Path:
    """jfk.flac SPEECH_REPEATS times over: real speech long enough that a worker spends seconds
    on each task and the feeder's uploads stay a small part of the web's work."""
    from bench.run import JFK

    inputs = [arg for _ in range(SPEECH_REPEATS) for arg in ("-i", str(JFK))]
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", *inputs, "-filter_complex"]
        + [f"concat=n={SPEECH_REPEATS}:v=0:a=1", str(path)],
        check=True,
    )
    return path


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants: the live ones' own, and those of the
    ones that ended (a probe, a replaced worker) as counted in their parent's children times."""
    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def post_upload(port: int, token: str, body: bytes) -> str | None:
    """POST a multipart body to /api/v1/tasks; the task's id when accepted."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(
            "POST",
            "/api/v1/tasks",
            body=body,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "multipart/form-data; boundary=b0undary",
            },
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    return json.loads(answer)["id"] if response.status == 202 else None


@contextlib.contextmanager
def transcribing(
    port: int, token: str, workdir: Path, workers: int, model: str, nice: int
) -> Iterator[dict[str, Any]]:
    """`workers` real workers kept busy transcribing uploads of real speech (see the module's
    docstring) until the block ends; yields the worker supervisor's pid and the uploads made."""
    from django.db import connection

    from tasks_app.models import Status, Task

    clip = speech_clip(workdir / "speech.flac").read_bytes()
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="title"\r\n\r\ntranscribing\r\n'
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="speech.flac"'
        b"\r\nContent-Type: audio/flac\r\n\r\n" + clip + b"\r\n--b0undary--\r\n"
    )
    command = [sys.executable, "manage.py", "transcription_worker", "--concurrency", str(workers)]
    environment = {**os.environ, "MODEL_NAME": model, "WORKER_LOG_LEVEL": "WARNING"}
    log = (workdir / "workers.log").open("wb")
    supervisor = subprocess.Popen(
        ["nice", "-n", str(nice), *command] if nice else command,
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    autogroup = Path(f"/proc/{supervisor.pid}/autogroup")
    if nice and autogroup.exists():
        # With the kernel's autogroups, a session's processes share one slice against other
        # sessions whatever their nice: the workers' session (their own) gets the nice too.
        autogroup.write_text(str(nice))
    created: list[str] = []
    stop = threading.Event()

    def waiting() -> int:
        return Task.objects.filter(
            pk__in=created, status__in=[Status.PENDING, Status.IN_PROGRESS]
        ).count()

    def feed() -> None:
        try:
            while not stop.is_set():
                if waiting() < workers:
                    if task_id := post_upload(port, token, body):
                        created.append(task_id)
                else:
                    stop.wait(0.2)
        finally:
            connection.close()

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        # Every worker has loaded its model and finished a task: the rows measure steady work.
        deadline = time.monotonic() + 300
        while Task.objects.filter(pk__in=created, status=Status.COMPLETED).count() < workers:
            if time.monotonic() > deadline or supervisor.poll() is not None:
                raise RuntimeError(f"the workers did not transcribe: see {workdir}/workers.log")
            time.sleep(0.5)
        yield {"pid": supervisor.pid, "created": created}
    finally:
        stop.set()
        feeder.join(60)
        uploads = Task.objects.filter(pk__in=list(created))
        spans = [
            (completed - started).total_seconds()
            for started, completed in uploads.filter(status=Status.COMPLETED).values_list(
                "started_at", "completed_at"
            )
        ]
        print(
            "transcribing uploads by status:",
            dict(Counter(uploads.values_list("status", flat=True))),
            "seconds from start to completion:",
            sorted(round(span, 1) for span in spans),
            flush=True,
        )
        with contextlib.suppress(ProcessLookupError):
            os.killpg(supervisor.pid, signal.SIGTERM)
        supervisor.wait(60)
        log.close()


def transcribed(created: list[str], since: datetime) -> int:
    from tasks_app.models import Status, Task

    return Task.objects.filter(
        pk__in=list(created), status=Status.COMPLETED, completed_at__gte=since
    ).count()


def timed_rows(
    port: int, runs: list[tuple[str, str, dict[str, str]]], ids: list[str], args: Any, pids: dict
) -> list[dict[str, Any]]:
    """One wrk row per endpoint at TRANSCRIBING_CONNECTIONS, with the CPU seconds each of
    `pids`' process trees used during it."""
    rows = []
    for label, template, headers in runs:
        wrk(port, template, headers, ids, TRANSCRIBING_CONNECTIONS, WARMUP_SECONDS)
        before = {name: tree_cpu(pid) for name, pid in pids.items()}
        figures = wrk(port, template, headers, ids, TRANSCRIBING_CONNECTIONS, args.duration)
        used = {name: tree_cpu(pid) - before[name] for name, pid in pids.items()}
        rows.append({"label": label, **figures, "cpu": used, "seconds": figures["seconds"]})
        print(rows[-1], flush=True)
    return rows


def transcribing_section(
    quiet: list[dict[str, Any]], busy: list[dict[str, Any]], args: Any, done: int
) -> str:
    cores = psutil.cpu_count()

    def row(state: str, figures: dict[str, Any]) -> str:
        share = {name: f"{used / figures['seconds']:.2f}" for name, used in figures["cpu"].items()}
        return (
            f"| {figures['label']} | {state} | {figures['rate']:.0f} | {figures['p50']:.1f} "
            f"| {figures['p95']:.1f} | {figures['p99']:.1f} | {figures['errors']} "
            f"| {share.get('web', '-')} | {share.get('workers', '-')} |"
        )

    table = [
        "| endpoint | workers | req/s | p50 ms | p95 ms | p99 ms | errors | web cores "
        "| workers cores |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for calm, loaded in zip(quiet, busy, strict=True):
        table += [row("none", calm), row(f"{args.transcribing} transcribing", loaded)]
    nice = f", under `nice -n {args.worker_nice}`" if args.worker_nice else ""
    verdicts = ", ".join(
        f"{figures['label']} p99 {figures['p99']:.0f} ms "
        f"({'met' if figures['p99'] < 100 else 'missed'})"
        for figures in busy
    )
    return (
        f"{TRANSCRIBING_HEADING}\n\n"
        f"`make load` (issue 18 item 7): wrk {TRANSCRIBING_CONNECTIONS} connections "
        f"{args.duration} s per row, the same gunicorn as above; `{args.transcribing} "
        f"transcribing`: `transcription_worker --concurrency {args.transcribing}` with "
        f"{args.worker_model}{nice}, {done} uploads of 44 s of speech transcribed during the "
        f"rows, {cores} cores, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average "
        f"{os.getloadavg()[0]:.1f} at the end. Cores: CPU seconds per second of each side "
        f"during the row (web: gunicorn and its workers; workers: the supervisor and its "
        f"children). How: the docstring of `bench/load.py`.\n\n"
        + "\n".join(table)
        + f"\n\nTarget p99 < 100 ms while transcriptions run: {verdicts}.\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--upload-mb", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--only", default="", help="run only the endpoints whose label contains this text"
    )
    parser.add_argument(
        "--transcribing", type=int, default=2, help="workers for the transcribing rows (0: none)"
    )
    parser.add_argument("--worker-model", default="base")
    parser.add_argument("--worker-nice", type=int, default=0, help="run the workers niced")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make load` (scripts/services.py provides the servers).")
    # Said before the seed and the in-process rows, not after them: apt has both.
    missing = [program for program in ("wrk", "ffmpeg") if shutil.which(program) is None]
    if missing:
        raise SystemExit(
            f"make load needs {' and '.join(missing)}: apt-get install {' '.join(missing)}"
        )
    workdir = Path(tempfile.mkdtemp(prefix="writers-load-"))
    (workdir / "storage").mkdir()
    setup_django(workdir / "storage")
    from accounts.tokens import issue_tokens

    user, ids = seed(args.tasks)
    token = issue_tokens(user)[0]
    plans = explain_list(token)
    print("\n\n".join(plans), flush=True)
    load_before = os.getloadavg()[0]
    costs = in_process(token, ids)
    print("\n".join(costs), flush=True)
    port = 18000 + os.getpid() % 1000
    gunicorn = start_gunicorn(port, workdir / "gunicorn.log")
    bearer = {"Authorization": f"Bearer {token}"}
    cookie = {"Cookie": f"access_token={token}"}
    htmx = {**cookie, "HX-Request": "true"}
    runs = [
        ("API task list, 100 per page", "/api/v1/tasks?limit=100", bearer),
        ("API task detail", "/api/v1/tasks/{id}", bearer),
        ("dashboard page (list)", "/dashboard", cookie),
        ("task page (detail)", "/dashboard/tasks/{id}", cookie),
        ("status poll (HTMX partial)", "/dashboard/tasks/{id}/status", htmx),
        ("`/health`", "/health", {}),
    ]
    lines = []
    quiet: list[dict[str, Any]] = []
    busy: list[dict[str, Any]] = []
    try:
        for label, template, headers in runs:
            if args.only not in label:
                continue
            # Each worker process resolves URLs, loads templates and opens its database
            # connection on its first requests; that warm-up is not what a steady state sees.
            wrk(port, template, headers, ids, args.connections, WARMUP_SECONDS)
            f = wrk(port, template, headers, ids, args.connections, args.duration)
            lines.append(
                f"| {label} | `{template}` | {f['rate']:.0f} | {f['p50']:.1f} | {f['p95']:.1f} "
                f"| {f['p99']:.1f} | {f['errors']} |"
            )
            print(lines[-1], flush=True)
        if args.transcribing:
            polls = [run for run in runs if run[0].startswith(("status poll", "`/health`"))]
            quiet = timed_rows(port, polls, ids, args, {"web": gunicorn.pid})
            with transcribing(
                port, token, workdir, args.transcribing, args.worker_model, args.worker_nice
            ) as work:
                started = datetime.now(UTC)
                pids = {"web": gunicorn.pid, "workers": work["pid"]}
                busy = timed_rows(port, polls, ids, args, pids)
                done = transcribed(work["created"], started)
        # Last: the uploads stay queued, and the workers above would take them.
        audio = workdir / "upload.wav"
        upload_wav(audio, args.upload_mb)
        u = uploads(port, token, audio, args.uploads, gunicorn)
    finally:
        gunicorn.terminate()
        gunicorn.wait(30)
    mib = 2**20
    upload_line = (
        f"{args.uploads} concurrent uploads of {u['mb']:.1f} MB: {u['accepted']} accepted "
        f"(statuses {u['statuses']}) in {u['wall']:.1f} s; largest web worker RSS "
        f"{u['baseline_worker'] / mib:.0f} MiB before, {u['peak_worker'] / mib:.0f} MiB at peak; "
        f"all of gunicorn {u['peak_total'] / mib:.0f} MiB at peak"
    )
    print(upload_line)
    workers = os.environ.get("WEB_CONCURRENCY") or psutil.cpu_count() * 2 + 1
    header = (
        f"{args.tasks} tasks in 50 workspaces, gunicorn {workers} uvicorn workers, wrk 2 threads "
        f"{args.connections} connections {args.duration} s per row, {psutil.cpu_count()} cores, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    table = "\n".join(
        [
            "| endpoint | path | req/s | p50 ms | p95 ms | p99 ms | errors |",
            "|---|---|---|---|---|---|---|",
            *lines,
        ]
    )
    print(f"\n{header}\n\n{table}\n\n{upload_line}")
    if busy:
        section = transcribing_section(quiet, busy, args, done)
        print(f"\n{section}")
    if not args.no_write:
        from bench.results import write_section

        extra = f' LOAD_ARGS="{shlex.join(sys.argv[1:])}"' if sys.argv[1:] else ""
        # The sections (`make bench-stall`'s, the history, the transcribing rows) stay.
        write_section(
            None,
            f"# Load results\n\nProduced by `make load{extra}` ({header}). How: the docstring "
            f"of `bench/load.py`.\n\n{table}\n\n{upload_line}.\n\n"
            f"In-process, {IN_PROCESS_REQUESTS} requests one after another through the test "
            f"client (load average {load_before:.1f} as they were taken, "
            f"{os.getloadavg()[0]:.1f} at the end of the run):\n\n"
            "| endpoint | path | median ms | slowest ms |\n|---|---|---|---|\n"
            + "\n".join(costs)
            + "\n\n"
            "The list's plans (EXPLAIN ANALYZE, before the run):\n\n```\n"
            + "\n\n".join(plans)
            + "\n```\n",
            results=RESULTS,
        )
        if busy:
            write_section(TRANSCRIBING_HEADING, section, results=RESULTS)


if __name__ == "__main__":
    main()
