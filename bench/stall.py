"""The web while clients wait and uploads are probed: gunicorn as deployed (uvicorn workers on
writers.asgi, deploy/gunicorn.conf.py) with 16 OpenAI-endpoint requests waiting for tasks no
worker runs, and 8 clients uploading docx bombs in a loop (each probe takes seconds of a core);
meanwhile `GET /health` and the dashboard's status poll are timed, one request every 50 ms each
on a new connection, as a load balancer and a browser would.

Run with `make bench-stall` (a throwaway PostgreSQL and Redis from scripts/services.py). Prints
the figures and writes them into bench/LOAD.md; asserts nothing. Target from issue 14: p99 under
100 ms for both while the requests wait and the uploads are probed. `--compare` runs the same
load against the previous configuration (sync workers on writers.wsgi, 2 as `make run` had)
for a short while: the waiting requests take every worker, so the probes time out.

The client, gunicorn, PostgreSQL and the probes share the machine's cores, so on a small machine
the figures are a floor, not what a separate client would see.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import random
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import seed, setup_django, start_gunicorn, upload_wav  # noqa: E402
from bench.results import write_section  # noqa: E402

RESULTS = ROOT / "bench" / "LOAD.md"
SECTION = "## The web while requests wait and uploads are probed"
PROBE_TIMEOUT_SECONDS = 10
INTERVAL_SECONDS = 0.05
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bomb(paragraphs: int) -> bytes:
    """A valid .docx whose document.xml holds `paragraphs` paragraphs of varied words: about
    1.3 MB zipped for 70 000, tens of MB of XML that the probe parses for seconds."""
    words = [f"w{number}" for number in range(5000)]
    rng = random.Random(7)
    body = "".join(
        f"<w:p><w:r><w:t>{' '.join(rng.choices(words, k=8))}</w:t></w:r></w:p>"
        for _ in range(paragraphs)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as docx:
        docx.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="applicati'
            'on/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" Conten'
            'tType="application/xml"/><Override PartName="/word/document.xml" ContentType="app'
            'lication/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        docx.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxm'
            'lformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://sch'
            'emas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target'
            '="word/document.xml"/></Relationships>',
        )
        docx.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http:'
            '//schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            f"{body}</w:body></w:document>",
        )
    return out.getvalue()


def multipart(fields: dict[str, str], name: str, content_type: str, data: bytes) -> bytes:
    parts = [
        f'--bench-boundary\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
        for key, value in fields.items()
    ]
    head = (
        "".join(parts) + f'--bench-boundary\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{name}"\r\nContent-Type: {content_type}\r\n\r\n'
    )
    return head.encode() + data + b"\r\n--bench-boundary--\r\n"


def post(port: int, path: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={**headers, "Content-Type": "multipart/form-data; boundary=bench-boundary"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0  # no answer in time, or the connection closed
    finally:
        connection.close()


def timed_get(port: int, path: str, headers: dict[str, str]) -> float | None:
    """Milliseconds to a 2xx on a new connection, or None for anything else."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PROBE_TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        ok = 200 <= response.status < 300  # the poll of a finished task answers 286
    except OSError:
        ok = False
    finally:
        connection.close()
    return (time.perf_counter() - started) * 1000 if ok else None


def sample(port: int, path: Callable[[], str], headers: dict[str, str], seconds: float) -> list:
    samples: list[float | None] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        samples.append(timed_get(port, path(), headers))
        time.sleep(max(0.0, INTERVAL_SECONDS - (time.monotonic() - started)))
    return samples


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def summary(samples: list[float | None]) -> dict[str, Any]:
    answered = [value for value in samples if value is not None]
    return {
        "count": len(samples),
        "failed": len(samples) - len(answered),
        "p50": percentile(answered, 0.50),
        "p99": percentile(answered, 0.99),
        "max": max(answered, default=float("nan")),
    }


def start_web(port: int, log: Path, *, old: bool) -> subprocess.Popen:
    if not old:
        return start_gunicorn(port, log)
    # What `make run` ran before: sync workers, each waiting request holding one.
    return start_gunicorn(
        port, log, ("writers.wsgi", "--workers", "2", "--worker-class", "sync", "--timeout", "300")
    )


class Load:
    """The 16 waiting OpenAI requests and the 8 uploaders, in threads."""

    def __init__(self, port: int, bearer: dict[str, str], api_key: str) -> None:
        self.port = port
        self.bearer = bearer
        self.openai = {"Authorization": f"Bearer {api_key}"}
        self.stop = threading.Event()
        self.openai_statuses: Counter[int] = Counter()
        self.upload_statuses: Counter[int] = Counter()
        self.threads: list[threading.Thread] = []

    def wait_in_openai(self, audio: bytes, count: int) -> None:
        body = multipart({"model": "whisper-1"}, "wait.wav", "audio/wav", audio)

        def send() -> None:
            # As a client told Retry-After would: try again until it gets to wait.
            while (
                status := post(self.port, "/v1/audio/transcriptions", body, self.openai, 600)
            ) == 503:
                self.stop.wait(1)
            self.openai_statuses[status] += 1

        self.start(send, count)

    def upload_bombs(self, bomb: bytes, count: int) -> None:
        body = multipart({"title": "bomb"}, "bomb.docx", DOCX_MIME, bomb)

        def loop() -> None:
            while not self.stop.is_set():
                status = post(self.port, "/api/v1/tasks", body, self.bearer, 120)
                self.upload_statuses[status] += 1
                if status == 503:
                    self.stop.wait(1)  # as told by Retry-After, give or take

        self.start(loop, count)

    def start(self, target: Callable[[], None], count: int) -> None:
        for _ in range(count):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self.threads.append(thread)


def run(args: argparse.Namespace, workdir: Path, user: Any, ids: list[str], *, old: bool) -> dict:
    from accounts.api_tokens import create_api_token
    from accounts.tokens import issue_tokens
    from tasks_app.models import Task

    token = issue_tokens(user)[0]
    bearer = {"Authorization": f"Bearer {token}"}
    htmx = {"Cookie": f"access_token={token}", "HX-Request": "true"}
    port = 19000 + os.getpid() % 500 + (500 if old else 0)
    web = start_web(port, workdir / ("old.log" if old else "web.log"), old=old)
    health = ("/health", lambda: "/health", {})
    poll = ("status poll", lambda: f"/dashboard/tasks/{random.choice(ids)}/status", htmx)
    figures: dict[str, Any] = {}
    try:
        # Each worker imports, resolves URLs and connects on its first requests.
        for _label, path, headers in (health, poll):
            sample(port, path, headers, 2)
        if not old:
            for label, path, headers in (health, poll):
                figures[f"idle {label}"] = summary(sample(port, path, headers, args.seconds / 2))
        load = Load(port, bearer, create_api_token(user, f"bench-{port}")[1])
        before = Task.objects.count()
        load.wait_in_openai((workdir / "wait.wav").read_bytes(), args.waiting)
        # Under sync workers only as many as there are workers get that far.
        deadline = time.monotonic() + (10 if old else 60)
        while Task.objects.count() < before + args.waiting and time.monotonic() < deadline:
            time.sleep(0.2)
        figures["waiting"] = Task.objects.count() - before
        load.upload_bombs((workdir / "bomb.docx").read_bytes(), args.uploaders)
        time.sleep(2)  # the first probes are running
        seconds = args.compare_seconds if old else args.seconds
        results: dict[str, list] = {}
        samplers = [
            threading.Thread(
                target=lambda label=label, path=path, headers=headers: results.__setitem__(
                    label, sample(port, path, headers, seconds)
                )
            )
            for label, path, headers in (health, poll)
        ]
        for sampler in samplers:
            sampler.start()
        peak_probes = 0
        while any(sampler.is_alive() for sampler in samplers):
            peak_probes = max(peak_probes, running_probes(web.pid))
            time.sleep(0.2)
        for label, samples in results.items():
            figures[f"loaded {label}"] = summary(samples)
        load.stop.set()
        figures["uploads"] = dict(load.upload_statuses)
        figures["openai_answered"] = dict(load.openai_statuses)
        figures["peak_probes"] = peak_probes
    finally:
        # Requests still wait, and a graceful stop would wait for them: stop it at once.
        os.killpg(web.pid, signal.SIGKILL)
        web.wait(30)
    return figures


def running_probes(pid: int) -> int:
    count = 0
    for child in psutil.Process(pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # it ended while we looked
            count += "tasks_app.probe" in " ".join(child.cmdline())
    return count


def row(label: str, figures: dict[str, Any]) -> str:
    if figures["failed"] == figures["count"]:
        return f"| {label} | {figures['count']} | {figures['failed']} | - | - | - |"
    return (
        f"| {label} | {figures['count']} | {figures['failed']} | {figures['p50']:.1f} "
        f"| {figures['p99']:.1f} | {figures['max']:.1f} |"
    )


def verdict(figures: dict[str, Any]) -> str:
    met = figures["failed"] == 0 and figures["p99"] < 100
    return f"{'met' if met else 'not met'} (p99 {figures['p99']:.0f} ms)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="measured seconds under load")
    parser.add_argument("--waiting", type=int, default=16)
    parser.add_argument("--uploaders", type=int, default=8)
    parser.add_argument("--paragraphs", type=int, default=70_000, help="size of the docx bomb")
    parser.add_argument("--compare", action="store_true", help="also run the old configuration")
    parser.add_argument("--compare-seconds", type=float, default=15)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through `make bench-stall` (scripts/services.py provides servers).")
    # No worker runs, so the OpenAI requests wait for as long as the run lasts.
    os.environ.update(
        OPENAI_WAIT_SECONDS="600", WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2")
    )
    workdir = Path(tempfile.mkdtemp(prefix="writers-stall-"))
    (workdir / "storage").mkdir()
    setup_django(workdir / "storage")
    from tasks_app.uploads import UploadRejected, run_probe

    user, ids = seed(500)
    upload_wav(workdir / "wait.wav", 1)
    bomb = workdir / "bomb.docx"
    bomb.write_bytes(docx_bomb(args.paragraphs))
    started = time.monotonic()
    try:
        run_probe(bomb, "text")
        outcome = "accepted"
    except UploadRejected as rejected:
        outcome = rejected.code
    probe_alone = f"{time.monotonic() - started:.1f} s ({outcome})"
    print(f"docx bomb {bomb.stat().st_size / 1e6:.1f} MB, probed alone in {probe_alone}")

    load_before = os.getloadavg()[0]
    new = run(args, workdir, user, ids, old=False)
    old = run(args, workdir, user, ids, old=True) if args.compare else None
    workers = os.environ["WEB_CONCURRENCY"]
    lines = [
        "| gunicorn, state | requests | failed | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|",
    ]
    for key, label in (
        ("idle /health", "uvicorn workers, idle: `/health`"),
        ("idle status poll", "uvicorn workers, idle: status poll"),
        ("loaded /health", "uvicorn workers, loaded: `/health`"),
        ("loaded status poll", "uvicorn workers, loaded: status poll"),
    ):
        lines.append(row(label, new[key]))
    if old:
        lines.append(row("old sync workers, loaded: `/health`", old["loaded /health"]))
        lines.append(row("old sync workers, loaded: status poll", old["loaded status poll"]))
    table = "\n".join(lines)
    notes = (
        f"Loaded: {new['waiting']} of {args.waiting} OpenAI requests waiting (answers at the end: "
        f"{new['openai_answered'] or 'none, still waiting'}), {args.uploaders} clients uploading "
        f"a {bomb.stat().st_size / 1e6:.1f} MB docx bomb in a loop (probed alone: {probe_alone}); "
        f"upload answers {new['uploads']} (503: no probe slot within PROBE_QUEUE_SECONDS); at "
        f"most {new['peak_probes']} probes ran at once (PROBE_CONCURRENCY per worker). Target "
        f"p99 < 100 ms under load: `/health` {verdict(new['loaded /health'])}, status poll "
        f"{verdict(new['loaded status poll'])}. Load average of the machine "
        f"{load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after."
    )
    if old:
        notes += (
            f" Old configuration: {old['waiting']} of the OpenAI requests got a worker (and "
            f"created their task), the others queue behind them; each `/health` and poll "
            f"request got no answer within {PROBE_TIMEOUT_SECONDS} s; upload answers "
            f"{old['uploads'] or 'none'}."
        )
    extra = f' STALL_ARGS="{shlex.join(sys.argv[1:])}"' if sys.argv[1:] else ""
    header = (
        f"`make bench-stall{extra}`: {workers} uvicorn workers, {args.seconds:.0f} s measured "
        "per state, one request every "
        f"{INTERVAL_SECONDS * 1000:.0f} ms per endpoint on a new connection, "
        f"{psutil.cpu_count()} cores shared with the client, PostgreSQL, the probes and other "
        f"work on the machine, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. How: the docstring of "
        "`bench/stall.py`."
    )
    print(f"\n{header}\n\n{table}\n\n{notes}")
    if not args.no_write:
        # Its own section only: make load's transcribing rows and the history follow it.
        write_section(SECTION, f"{SECTION}\n\n{header}\n\n{table}\n\n{notes}\n", results=RESULTS)


if __name__ == "__main__":
    main()
