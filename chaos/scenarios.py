"""The chaos scenarios. Each takes `make` (builds a Harness for this run's database, Redis and
storage), the user that owns the tasks and its sizes, inflicts its faults on real worker and
sweeper processes, and returns the checked Outcome (chaos.invariants).

Recovery time (`recover_p50/p95`) is measured per fault: from the fault to the moment the task
it hit was back on the queue for a new attempt, or had ended (chaos.invariants.recovered_after).
With the chaos settings (chaos.harness.FAST_ENV) a dead worker is noticed after the 4 s
heartbeat grace plus up to one 1 s sweeper round.
"""

from __future__ import annotations

import random
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from chaos.harness import (
    FAST_ENV,
    JFK,
    Harness,
    all_terminal,
    file_task,
    now,
    running,
    s3_settings,
    wait_for,
)
from chaos.invariants import Outcome, check, recovered_after
from chaos.servers import crash_and_restart_postgres
from chaos.stub import POISON_MARKER
from scripts.services import ObjectStoreServer, PostgresServer
from tasks_app.models import Attempt, ErrorCode, Status, Task
from transcription import leftovers
from transcription.models import KeptResult, WorkerProcess
from transcription.services import enqueue_task

MakeHarness = Callable[..., Harness]
MAX_ATTEMPTS = int(FAST_ENV["MAX_ATTEMPTS"])


def kill_workers(
    make: MakeHarness,
    user: Any,
    *,
    tasks: int = 200,
    kills: int = 20,
    sigterms: int = 5,
    workers: int = 2,
    seconds: float = 0.5,
    engine: str = "stub",
    seed: int = 7,
    timeout: float = 900,
) -> Outcome:
    """Scenario 1: `kill -9` and SIGTERM of workers in the middle of jobs."""
    harness = make(workers=workers, stub_seconds=seconds, engine=engine)
    rng = random.Random(seed)
    ids = [file_task(user).pk for _ in range(tasks)]
    outcome = Outcome(f"kill_workers{'' if engine == 'stub' else '_real_model'}", tasks)
    faults = [signal.SIGKILL] * kills + [signal.SIGTERM] * sigterms
    rng.shuffle(faults)
    hits: list[tuple[Any, int, float]] = []
    terms = 0

    def target() -> tuple[int, tuple[Any, int]] | None:
        # Only tasks with an attempt to spare, so every task is expected to complete.
        busy = [(pid, job) for pid, job in harness.busy_workers().items() if job[1] < MAX_ATTEMPTS]
        return rng.choice(busy) if busy else None

    with running(harness):
        for pk in ids:
            enqueue_task(pk)
        for fault in faults:
            found = wait_for(lambda: target() or all_terminal(ids), timeout=120, step=0.05)
            if not isinstance(found, tuple):
                break
            pid, (task_id, attempt) = found
            at = now()
            harness.signal_worker(pid, fault)
            if fault == signal.SIGKILL:
                hits.append((task_id, attempt, at))
            else:
                terms += 1
            time.sleep(rng.uniform(0.2, 1.0) * seconds * 2)
        wait_for(lambda: all_terminal(ids), timeout=timeout)
    outcome.kills = len(hits) + terms
    outcome.notes["sigterm"] = terms
    outcome.recoveries = [
        r for r in (recovered_after(task_id, at) for task_id, _attempt, at in hits) if r is not None
    ]
    return check(outcome, dict.fromkeys(ids, Status.COMPLETED))


def kill_in_write_window(
    make: MakeHarness,
    user: Any,
    *,
    tasks: int = 30,
    kills: int = 10,
    workers: int = 2,
    seconds: float = 0.5,
    pause: float = 0.5,
    timeout: float = 300,
) -> Outcome:
    """`kill -9` of workers between writing a result's temporary file and renaming it (the stub
    holds every write there for `pause` seconds): each leaves a temporary file that no attempt
    will ever rename, which must not outlive the heartbeat grace (`orphans`). `in_window`
    counts the kills whose file was still there once the worker was dead."""
    harness = make(workers=workers, stub_seconds=seconds, write_pause=pause)
    ids = [file_task(user).pk for _ in range(tasks)]
    outcome = Outcome("kill_in_write_window", tasks)
    killed: set[str] = set()
    hits: list[tuple[str, float]] = []
    in_window = 0

    def writing() -> tuple[Path, int, str] | bool:
        # A worker of this harness inside the window, on a task not hit yet (so every task has
        # an attempt to spare).
        pids = set(harness.worker_pids())
        for path, writer in leftovers.temporary_files().items():
            task_id = _task_of(path)
            if writer.pid in pids and task_id not in killed:
                return path, writer.pid, task_id
        return all_terminal(ids)

    with running(harness):
        for pk in ids:
            enqueue_task(pk)
        for _ in range(kills):
            found = wait_for(writing, timeout=60, step=0.02)
            if not isinstance(found, tuple):
                break
            path, pid, task_id = found
            at = now()
            harness.signal_worker(pid, signal.SIGKILL)
            killed.add(task_id)
            hits.append((task_id, at))
            wait_for(lambda pid=pid: pid not in harness.worker_pids(), timeout=10, step=0.02)
            in_window += path.exists()
        wait_for(lambda: all_terminal(ids), timeout=timeout)
    outcome.kills = len(hits)
    outcome.notes["in_window"] = in_window
    outcome.recoveries = [
        r for r in (recovered_after(task_id, at) for task_id, at in hits) if r is not None
    ]
    return check(outcome, dict.fromkeys(ids, Status.COMPLETED))


def _task_of(temporary: Path) -> str:
    """The task whose file a temporary file is: results/<id>/.<n>.json.<writer>.tmp in its
    task's folder, or .<id>_<what>.<writer>.tmp and .<id>.<ext>.<writer>.tmp beside the rest."""
    if temporary.parent.parent.name == "results":
        return temporary.parent.name
    return temporary.name[1:].split("_", 1)[0].split(".", 1)[0]


def freeze_worker(
    make: MakeHarness, user: Any, *, tasks: int = 4, workers: int = 2, seconds: float = 4.0
) -> Outcome:
    """Scenario 4: a worker frozen (SIGSTOP) past the heartbeat grace, then resumed."""
    harness = make(workers=workers, stub_seconds=seconds)
    ids = [file_task(user).pk for _ in range(tasks)]
    outcome = Outcome("freeze_worker", tasks)
    with running(harness):
        for pk in ids:
            enqueue_task(pk)

        def late_in_a_job() -> tuple[int, tuple[Any, int]] | None:
            # Frozen near its end, the resumed worker's next move would be to complete.
            for pid, (task_id, attempt) in harness.busy_workers().items():
                if Task.objects.filter(pk=task_id, progress__gte=50).exists():
                    return pid, (task_id, attempt)
            return None

        found = wait_for(late_in_a_job, timeout=60, step=0.05)
        if found is None:
            raise RuntimeError("no worker got far into a job")
        pid, (task_id, attempt) = found
        at = now()
        harness.signal_worker(pid, signal.SIGSTOP)
        taken_over = wait_for(
            lambda: Task.objects.filter(pk=task_id, status=Status.COMPLETED).exists(), timeout=90
        )
        harness.signal_worker(pid, signal.SIGCONT)
        wait_for(lambda: all_terminal(ids), timeout=120)
        # The resumed worker's late writes (progress, result, completion) happen now, if ever.
        time.sleep(seconds)
        outcome.notes["resumed_worker_alive"] = int(pid in harness.worker_pids())
    outcome.kills = 1
    outcome.recoveries = [r for r in [recovered_after(task_id, at)] if r is not None]
    check(outcome, dict.fromkeys(ids, Status.COMPLETED))
    run = _result_run(task_id)
    task = Task.objects.get(pk=task_id)
    if not taken_over or run.get("pid") == pid or run.get("attempt") != task.attempts:
        outcome.lost += 1
        outcome.problems.append(f"{task_id}: the frozen attempt's result won ({run})")
    return outcome


def upload_while_redis_down(
    make: MakeHarness, user: Any, *, uploads: int = 3, workers: int = 1
) -> Outcome:
    """Scenario 5: uploads while Redis is down are accepted, stay PENDING, run once it is back."""
    from tasks_app.services import create_task

    harness = make(workers=workers, stub_seconds=0.3)
    outcome = Outcome("upload_while_redis_down", uploads)
    with running(harness):
        harness.redis.stop()
        ids = []
        for number in range(uploads):
            upload = SimpleUploadedFile(
                f"jfk-{number}.flac", JFK.read_bytes(), content_type="audio/flac"
            )
            ids.append(create_task(user, title=f"while Redis is down {number}", upload=upload).pk)
        pending = Task.objects.filter(pk__in=ids, status=Status.PENDING).count()
        outcome.notes["accepted_pending"] = pending
        back = now()
        harness.redis.start()
        wait_for(lambda: all_terminal(ids), timeout=120)
    outcome.kills = 1
    outcome.recoveries = [r for r in (recovered_after(pk, back) for pk in ids) if r is not None]
    check(outcome, dict.fromkeys(ids, Status.COMPLETED))
    if pending != uploads:
        outcome.lost += uploads - pending
        outcome.problems.append(f"only {pending} of {uploads} uploads were PENDING while down")
    repeated = Task.objects.filter(pk__in=ids, attempts__gt=1).count()
    if repeated:
        outcome.dup += repeated
        outcome.problems.append(f"{repeated} task(s) ran more than once")
    return outcome


def poison_file(
    make: MakeHarness, user: Any, directory: Path, *, healthy: int = 10, workers: int = 2
) -> Outcome:
    """Scenario 6: a file that kills its worker every time fails after MAX_ATTEMPTS attempts;
    the other tasks are not affected."""
    harness = make(workers=workers, stub_seconds=0.3)
    poison = directory / "poison.flac"
    poison.write_bytes(JFK.read_bytes() + POISON_MARKER)
    ids = [file_task(user).pk for _ in range(healthy)]
    bad = file_task(user, poison).pk
    ids.insert(healthy // 2, bad)
    outcome = Outcome("poison_file", len(ids))
    with running(harness):
        for pk in ids:
            enqueue_task(pk)
        wait_for(lambda: all_terminal(ids), timeout=180)
    attempts = list(Attempt.objects.filter(task_id=bad).order_by("number"))
    outcome.kills = len(attempts)
    outcome.recoveries = [
        r
        for r in (recovered_after(bad, a.started_at.timestamp()) for a in attempts)
        if r is not None
    ]
    expected = dict.fromkeys(ids, Status.COMPLETED)
    expected[bad] = Status.FAILED
    check(outcome, expected)
    task = Task.objects.get(pk=bad)
    if task.attempts != MAX_ATTEMPTS or task.error_code != ErrorCode.WORKER_LOST:
        outcome.lost += 1
        outcome.problems.append(f"poison: {task.attempts} attempts, {task.error_code}")
    retried = Task.objects.filter(pk__in=ids, attempts__gt=1).exclude(pk=bad).count()
    if retried:
        outcome.lost += retried
        outcome.problems.append(f"{retried} healthy task(s) needed another attempt")
    return outcome


def _result_run(task_id: Any) -> dict[str, Any]:
    from tasks_app.services import load_result

    result = load_result(Task.objects.get(pk=task_id)) or {}
    return result.get("run") or {}


def redis_faults_under_uploads(
    make: MakeHarness, user: Any, *, uploads: int = 30, workers: int = 2, seconds: float = 0.5
) -> Outcome:
    """Scenario 2: Redis killed (-9) and restarted from its append-only file, and later lost
    with all its data, while uploads keep coming and workers are busy."""
    from tasks_app.services import create_task

    harness = make(workers=workers, stub_seconds=seconds)
    outcome = Outcome("redis_faults_under_uploads", uploads)
    # Kill at a third of the uploads, back three uploads later; wipe at two thirds, likewise.
    kill_at, wipe_at = uploads // 3, 2 * uploads // 3
    ids: list[Any] = []
    restarts: list[float] = []
    with running(harness):
        for number in range(uploads):
            if number in (kill_at, wipe_at):
                if number == kill_at:
                    harness.redis.stop(signal.SIGKILL)
                else:
                    harness.redis.wipe()
                outcome.kills += 1
            if number in (kill_at + 3, wipe_at + 3):
                harness.redis.start()
                restarts.append(now())
            upload = SimpleUploadedFile(
                f"jfk-{number}.flac", JFK.read_bytes(), content_type="audio/flac"
            )
            ids.append(create_task(user, title=f"upload {number}", upload=upload).pk)
        wait_for(lambda: all_terminal(ids), timeout=180)
    # Each restart: how long until the tasks it had to rescue were back on the queue.
    for at in restarts:
        waiting = [pk for pk in ids if _was_waiting(pk, at)]
        outcome.recoveries += [
            r for r in (recovered_after(pk, at) for pk in waiting) if r is not None
        ]
    check(outcome, dict.fromkeys(ids, Status.COMPLETED))
    repeated = Task.objects.filter(pk__in=ids, attempts__gt=1).count()
    outcome.notes["reattempted"] = repeated
    return outcome


def _first_completion_after(task_ids: list[Any], at: float) -> float | None:
    """Seconds from `at` (epoch) to the first of the tasks completing after it."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(at) FROM chaos_status_log WHERE task_id = ANY(%s::uuid[]) "
            "AND at > to_timestamp(%s) AND new_status = 'COMPLETED'",
            [[str(pk) for pk in task_ids], at],
        )
        (first,) = cursor.fetchone()
    return None if first is None else first.timestamp() - at


def _was_waiting(task_id: Any, at: float) -> bool:
    """Whether the task was waiting for a worker (PENDING or IN_PROGRESS) at `at`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT new_status FROM chaos_status_log WHERE task_id = %s AND at <= to_timestamp(%s) "
            "ORDER BY id DESC LIMIT 1",
            [str(task_id), at],
        )
        row = cursor.fetchone()
    return row is not None and row[0] in (Status.PENDING, Status.IN_PROGRESS)


def disk_full(make: MakeHarness, user: Any, directory: Path, *, tasks: int = 4) -> Outcome:
    """Scenario 7: the storage volume (a small tmpfs) fills up while tasks wait for a worker
    and while a file is uploaded; then space comes back.

    Needs root to mount the tmpfs; `make chaos` runs as root here, and prints the scenario as
    not run where mounting is not allowed.
    """
    import subprocess

    from django.test import override_settings

    from tasks_app.services import create_task
    from tasks_app.uploads import UploadRejected

    volume = directory / "small-volume"
    volume.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(volume)], check=True)
    small = directory / "one-second.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-i", str(JFK), "-t", "1", str(small)], check=True
    )
    outcome = Outcome("disk_full", tasks + 2)
    try:
        with override_settings(STORAGE_ROOT=volume):
            ids = [file_task(user, small).pk for _ in range(tasks)]
            filler = volume / "filler"
            _fill(filler)
            harness = make(workers=1, stub_seconds=0.3)
            refused = None
            with running(harness):
                for pk in ids:
                    enqueue_task(pk)
                wait_for(lambda: all_terminal(ids), timeout=60)
                try:
                    upload = SimpleUploadedFile("full.flac", small.read_bytes(), "audio/flac")
                    ids.append(create_task(user, title="on a full disk", upload=upload).pk)
                except UploadRejected as error:
                    refused = f"{error.http_status} {error.code}"
                outcome.notes["upload_on_full_disk"] = f"refused:{refused}" if refused else "ok"
                freed = now()
                filler.unlink()
                upload = SimpleUploadedFile("after.flac", small.read_bytes(), "audio/flac")
                after = create_task(user, title="after space came back", upload=upload).pk
                wait_for(lambda: all_terminal([after]), timeout=60)
            outcome.recoveries = [r for r in [recovered_after(after, freed)] if r is not None]
            expected = dict.fromkeys(ids, Status.FAILED)
            expected[after] = Status.COMPLETED
            check(outcome, expected)
            codes = Task.objects.filter(pk__in=ids).values_list("error_code", flat=True)
            outcome.notes["failed_with"] = ",".join(sorted(set(codes)))
            if refused is None:
                outcome.tasks -= 1
    finally:
        subprocess.run(["umount", str(volume)], check=False)
    return outcome


def _fill(path: Path) -> None:
    """Write `path` until the volume has no space left."""
    with path.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass


def postgres_restart(
    make: MakeHarness,
    user: Any,
    postgres: PostgresServer,
    *,
    tasks: int = 30,
    workers: int = 2,
    seconds: float = 1.0,
    down_seconds: float = 3.0,
) -> Outcome:
    """Scenario 3: PostgreSQL stopped in immediate mode and started again while workers are
    processing and the web is serving the task list."""
    import threading
    import urllib.error
    import urllib.request

    from accounts.tokens import issue_tokens

    harness = make(workers=workers, stub_seconds=seconds)
    ids = [file_task(user).pk for _ in range(tasks)]
    outcome = Outcome("postgres_restart", tasks)
    token = issue_tokens(user)[0]
    answers: list[tuple[float, int]] = []
    stop = threading.Event()

    def poll(port: int) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/tasks?limit=20",
            headers={"Authorization": f"Bearer {token}"},
        )
        while not stop.wait(0.1):
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    answers.append((now(), response.status))
            except urllib.error.HTTPError as error:
                answers.append((now(), error.code))
            except OSError:
                answers.append((now(), 0))

    with running(harness):
        port = harness.start_web()
        poller = threading.Thread(target=poll, args=(port,), daemon=True)
        poller.start()
        for pk in ids:
            enqueue_task(pk)
        wait_for(lambda: len(harness.busy_workers()) == workers, timeout=60, step=0.05)
        from django.db import connection

        connection.close()
        crashed = now()
        back = crash_and_restart_postgres(postgres, down_seconds)
        outcome.kills = 1
        wait_for(lambda: all_terminal(ids), timeout=300, step=0.5)
        stop.set()
        poller.join(15)
    # The web recovers when it first answers 200 again after the database came back.
    served = [at for at, status in answers if at > back and status == 200]
    failed_after = [status for at, status in answers if at > back and status != 200]
    outcome.recoveries = [served[0] - back] if served else []
    outcome.notes["web_errors_during"] = sum(
        1 for at, status in answers if crashed <= at <= back and status != 200
    )
    outcome.notes["web_errors_after"] = len(failed_after)
    outcome.notes["reattempted"] = Task.objects.filter(pk__in=ids, attempts__gt=1).count()
    check(outcome, dict.fromkeys(ids, Status.COMPLETED))
    if not served:
        outcome.stuck += 1
        outcome.problems.append("the web never answered 200 after PostgreSQL came back")
    return outcome


def resume_after_kill(
    make: MakeHarness, user: Any, directory: Path, *, repeats: int = 20, at_percent: float = 80
) -> Outcome:
    """Resume: with the real model, a worker killed at `at_percent` % of a long clip; the next
    attempt starts from the last saved segment. Reports the time that saved against starting
    over, and checks the seam: segments in order without overlap, and the words all there."""
    import subprocess

    from tasks_app.services import load_result
    from transcription.tests.conftest import word_error_rate

    clip = directory / f"jfk_x{repeats}.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-stream_loop", str(repeats - 1), "-i", str(JFK)]
        + [str(clip)],
        check=True,
    )
    reference = " ".join([(JFK.parent / "jfk.txt").read_text().strip()] * repeats)
    harness = make(workers=1, engine="real")
    task_id = file_task(user, clip).pk
    outcome = Outcome("resume_after_kill", 1)
    with running(harness):
        enqueue_task(task_id)

        def far_enough() -> tuple[int, float] | bool | None:
            status, progress = Task.objects.values_list("status", "progress").get(pk=task_id)
            if status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
                return True
            busy = [pid for pid, job in harness.busy_workers().items() if job[0] == task_id]
            return (busy[0], progress) if busy and progress >= at_percent else None

        found = wait_for(far_enough, timeout=300, step=0.02)
        if not isinstance(found, tuple):
            raise RuntimeError("the task ended or stalled before the worker could be killed")
        pid, progress = found
        killed = now()
        harness.signal_worker(pid, signal.SIGKILL)
        outcome.kills = 1
        wait_for(lambda: all_terminal([task_id]), timeout=300)
    outcome.recoveries = [r for r in [recovered_after(task_id, killed)] if r is not None]
    check(outcome, {task_id: Status.COMPLETED})
    first, second = Attempt.objects.filter(task_id=task_id).order_by("number")[:2]
    spent = killed - first.started_at.timestamp()
    again = (second.ended_at - second.started_at).total_seconds() if second.ended_at else 0.0
    result = load_result(Task.objects.get(pk=task_id)) or {}
    segments = result.get("segments", [])
    resumed_at = result.get("run", {}).get("resumed_at")
    overlaps = sum(1 for a, b in zip(segments, segments[1:], strict=False) if b["start"] < a["end"])
    wer = word_error_rate(reference, result.get("text", ""))
    outcome.notes.update(
        killed_at=f"{progress:.0f}%",
        resumed_at=f"{resumed_at}s" if resumed_at is not None else "none",
        second_attempt=f"{again:.1f}s",
        from_scratch=f"{spent * 100 / progress:.1f}s",
        saved=f"{spent * 100 / progress - again:.1f}s",
        wer=f"{wer:.3f}",
    )
    if resumed_at is None:
        outcome.problems.append("the second attempt started over")
        outcome.lost += 1
    if overlaps or wer > 0.15:
        outcome.problems.append(f"seam: {overlaps} overlapping segment(s), WER {wer:.3f}")
        outcome.lost += 1
    return outcome


def decoder_bomb(make: MakeHarness, user: Any, directory: Path, *, hours: int = 1) -> Outcome:
    """Bad input, in a real worker: a FLAC of `hours` of silence (well under 1 MB) whose header
    claims 5 seconds, with a 60-second length limit. It must end FAILED, the worker must take the
    next task, and its memory must stay near what the limit allows, not what the file holds."""
    import subprocess
    import threading

    import psutil

    source = directory / "silence.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono"]
        + ["-t", str(hours * 3600), "-c:a", "flac", str(source)],
        check=True,
    )
    data = bytearray(source.read_bytes())
    # STREAMINFO's 36-bit total-samples field (after rate, channels, bits) from byte 18.
    packed = int.from_bytes(data[18:26], "big")
    data[18:26] = ((packed >> 36 << 36) | 5 * 16000).to_bytes(8, "big")
    liar = directory / "liar.flac"
    liar.write_bytes(bytes(data))
    harness = make(workers=1, engine="real")
    harness.base_env = {**harness.base_env, "MAX_AUDIO_SECONDS": "60"}
    bomb = file_task(user, liar).pk
    after = file_task(user).pk
    outcome = Outcome("decoder_bomb", 2)
    peak = {"rss": 0, "baseline": 0}
    with running(harness):
        pid = wait_for(lambda: harness.worker_pids(), timeout=30)[0]
        # A worker records its presence once its model is loaded.
        wait_for(lambda: WorkerProcess.objects.filter(pid=pid).exists(), timeout=60)
        peak["baseline"] = psutil.Process(pid).memory_info().rss
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.02):
                try:
                    peak["rss"] = max(peak["rss"], psutil.Process(pid).memory_info().rss)
                except psutil.NoSuchProcess:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        enqueue_task(bomb)
        wait_for(lambda: all_terminal([bomb]), timeout=180)
        done.set()
        sampler.join()
        # Then an ordinary task, on the same worker process.
        enqueue_task(after)
        wait_for(lambda: all_terminal([after]), timeout=180)
        outcome.notes["same_worker"] = int(pid in harness.worker_pids())
    mib = 2**20
    growth = (peak["rss"] - peak["baseline"]) / mib
    outcome.notes.update(file_kib=len(data) // 1024, worker_rss_growth=f"{growth:.0f}MiB")
    check(outcome, {bomb: Status.FAILED, after: Status.COMPLETED})
    # 60 s of 16 kHz float32 samples is 4 MiB; decoding is allowed ten times that.
    if growth > 40:
        outcome.lost += 1
        outcome.problems.append(
            f"decoding a {len(data) // 1024} KiB file claiming 5 s grew the worker by "
            f"{growth:.0f} MiB: memory follows the file's real length, not the limit"
        )
    return outcome


def object_store_restart(
    make: MakeHarness,
    user: Any,
    store: ObjectStoreServer,
    *,
    before: int = 10,
    after: int = 10,
    faults: Sequence[int] = (signal.SIGKILL, signal.SIGTERM),
    down_seconds: float = 2.0,
    interval: float = 1.0,
    workers: int = 2,
    seconds: float = 1.0,
    retry_seconds: float = 4.0,
    timeout: float = 300,
) -> Outcome:
    """The object store (STORAGE_BACKEND=s3) stopped and started again on the same ports and
    data while uploads keep coming through the web and the workers are busy: SIGKILL (gone at
    once) and SIGTERM (its graceful stop, 25 s of draining, answering 500). Before each fault
    `before` uploads, then one every `interval` for as long as the outage lasts; `after` more at
    the end. `recover_p50/p95`: from the store serving again to the next task completed.

    What a client is promised, and what is counted as lost if broken:
    - an upload while the store is away is refused 503 `storage_unavailable` (`refused`), with
      nothing of it kept (an object of no task is an orphan); sent again once the store is
      back, it is accepted (`resent`); any other answer is lost;
    - an accepted upload is never lost: its task completes, after the worker's own retries
      (STORE_RETRY_SECONDS, `retry_seconds` here), or ends FAILED `STORAGE_UNAVAILABLE` with its
      transcript kept and completes when the client retries it (`client_retries`); any other
      end is lost. `store_failures` counts the attempts that ended STORAGE_UNAVAILABLE.
    """
    import threading

    import requests
    from django.test import override_settings

    from accounts.tokens import issue_tokens

    outcome = Outcome("object_store_restart", 0)
    with override_settings(**s3_settings(store)):
        harness = make(workers=workers, stub_seconds=seconds)
        harness.base_env = {**harness.base_env, "STORE_RETRY_SECONDS": str(retry_seconds)}
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {issue_tokens(user)[0]}"
        accepted: list[uuid.UUID] = []
        refused: list[int] = []
        backs: list[float] = []

        def upload(base: str, number: int, *, resent: bool = False) -> None:
            try:
                answer = session.post(
                    f"{base}/api/v1/tasks",
                    data={"title": f"upload {number}"},
                    files={"file": (f"jfk-{number}.flac", JFK.read_bytes(), "audio/flac")},
                    timeout=120,
                )
            except requests.RequestException as error:
                outcome.lost += 1
                outcome.problems.append(f"upload {number}: no answer ({error})")
                return
            unavailable = answer.status_code == 503 and (
                answer.json().get("code") == "storage_unavailable"
            )
            if answer.status_code == 202:
                accepted.append(uuid.UUID(answer.json()["id"]))
            elif unavailable and not resent:
                refused.append(number)
            else:
                # Once the store is back, a refused upload sent again must be taken.
                outcome.lost += 1
                outcome.problems.append(f"upload {number}: {answer.status_code} {answer.text}")

        def outage(sig: int) -> None:
            store.stop(sig)
            time.sleep(down_seconds)
            store.start()
            backs.append(now())

        with running(harness):
            base = f"http://127.0.0.1:{harness.start_web()}"
            count = 0
            for sig in faults:
                for _ in range(before):
                    upload(base, count := count + 1)
                # Wait for busy workers, so that the fault hits running tasks too.
                wait_for(lambda: harness.busy_workers(), timeout=30, step=0.05)
                outcome.kills += 1
                fault = threading.Thread(target=outage, args=(sig,))
                fault.start()
                while fault.is_alive():
                    upload(base, count := count + 1)
                    time.sleep(interval)
                fault.join()
            for number in refused:
                upload(base, number, resent=True)
            for _ in range(after):
                upload(base, count := count + 1)
            retried: set[str] = set()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                # The client's part: a task FAILED for want of the store is retried.
                for pk, text in Task.objects.filter(
                    pk__in=accepted, status=Status.FAILED, error_code=ErrorCode.STORAGE_UNAVAILABLE
                ).values_list("pk", "transcript_text"):
                    # A finished transcript the store would not take stays in the database.
                    kept = KeptResult.objects.filter(task_id=pk).values_list("result", flat=True)
                    if (result := kept.first()) is not None:
                        outcome.notes["kept_results"] = outcome.notes.get("kept_results", 0) + 1
                        if not text or text != result.get("text"):
                            outcome.lost += 1
                            outcome.problems.append(f"{pk}: FAILED without its kept transcript")
                    answer = session.post(f"{base}/api/v1/tasks/{pk}/retry", timeout=60)
                    if answer.status_code == 202:
                        retried.add(str(pk))
                        outcome.notes["client_retries"] = outcome.notes.get("client_retries", 0) + 1
                if (
                    all_terminal(accepted)
                    and not Task.objects.filter(
                        pk__in=accepted, error_code=ErrorCode.STORAGE_UNAVAILABLE
                    ).exists()
                ):
                    break
                time.sleep(0.5)
        outcome.tasks = len(accepted)
        outcome.notes["refused"] = len(refused)
        outcome.notes.setdefault("client_retries", 0)
        outcome.notes.setdefault("kept_results", 0)
        outcome.notes["store_failures"] = Attempt.objects.filter(
            task_id__in=accepted, error_code=ErrorCode.STORAGE_UNAVAILABLE
        ).count()
        # Each restart: how long until the workers completed a task again.
        outcome.recoveries = [
            r for r in (_first_completion_after(accepted, at) for at in backs) if r is not None
        ]
        return check(outcome, dict.fromkeys(accepted, Status.COMPLETED), reopened=retried)
