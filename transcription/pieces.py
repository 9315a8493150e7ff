"""One long recording over every idle worker.

A recording longer than CHUNK_MIN_SECONDS, uploaded while other media workers are idle, is cut
in the middle of pauses (engine.speech_cuts) into even shares of its speech, PIECES_PER_WORKER
for this worker and for each idle one, none shorter than half of CHUNK_MIN_SECONDS /
PIECES_PER_WORKER. The task's own job is the parent: it puts a job on the queue for every piece
but the first (transcription.jobs.transcribe_piece), then claims queued pieces itself, one
after the other, as the other workers do their jobs, until none is left; then it waits for the
pieces running elsewhere, taking over one whose worker stopped beating (killed: only that piece
is transcribed again) or that failed (once; a second failure fails the task). Meanwhile the
task's progress, partial result and ETA cover the whole recording, through the attempt's usual
partial saves (runner.Transcription.on_segment). A cancel stops the parent at its next
checkpoint and the piece jobs at their next segment. The pieces' rows outlive the attempt: the
next one (a retry, or the sweeper's after a lost worker) keeps the done pieces whose
fingerprint still matches, and transcribes only the rest.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import socket
import time
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F, Q
from django.utils import timezone

from tasks_app import blobs
from tasks_app.models import Kind, Status, Task
from transcription import engine, runner
from transcription.models import ModelSpeed, Piece, WorkerProcess
from transcription.services import enqueue_pieces
from transcription.worker import signals_to_main_thread

logger = logging.getLogger(__name__)

# How often the parent looks at the pieces running elsewhere.
WAIT_SECONDS = 0.2
# A piece that failed this many times fails its task.
PIECE_TRIES = 2
# Pieces for each worker (this one and each idle one): whoever is done first takes the next, so
# a piece that costs more than its speech says (the language detection of voices the model is
# unsure of, bench/RESULTS.md) does not keep the other workers waiting for it.
PIECES_PER_WORKER = 2
MEDIA_KINDS = [Kind.TRANSCRIPTION, Kind.VIDEO]


class PieceFailed(engine.EngineError):
    """A piece failed on its last try: the task fails with the piece's own code and reason."""

    def __init__(self, piece: Piece) -> None:
        super().__init__(
            f"Part {piece.index + 1} of the recording ({clock(piece.start)}-{clock(piece.end)}) "
            f"could not be transcribed: {piece.error}"
        )
        self.code = piece.error_code or "INTERNAL"


class PieceStopped(Exception):
    """The piece is no longer this job's: its task was cancelled, taken over or retried."""


def clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def fingerprint(options: engine.Options, start: float, end: float) -> str:
    recipe = json.dumps([asdict(options), round(start, 3), round(end, 3)], sort_keys=True)
    return hashlib.sha256(recipe.encode()).hexdigest()


def idle_workers(task_id: Any) -> int:
    """Live media workers doing nothing, less the media work already waiting for them (queued
    tasks and other tasks' queued pieces), which they will take first."""
    idle = (
        WorkerProcess.objects.alive()
        .filter(current_task_id__isnull=True, queues__contains="media")
        .count()
    )
    waiting = Task.objects.filter(status=Status.IN_PROGRESS, kind__in=MEDIA_KINDS).count()
    waiting += (
        Piece.objects.filter(status=Piece.Status.QUEUED, task__status=Status.PROCESSING)
        .exclude(task_id=task_id)
        .count()
    )
    return max(idle - waiting, 0)


def piece_count(duration: float, idle: int) -> int:
    """Pieces for a recording of `duration` seconds: PIECES_PER_WORKER for this job and for
    each idle worker, none shorter than half of CHUNK_MIN_SECONDS / PIECES_PER_WORKER; 1
    (whole) up to CHUNK_MIN_SECONDS, when it is 0 or when no worker is idle."""
    shortest = settings.CHUNK_MIN_SECONDS
    if shortest <= 0 or duration <= shortest or idle <= 0:
        return 1
    most = int(duration // (shortest / 2 / PIECES_PER_WORKER))
    return max(1, min(PIECES_PER_WORKER * (1 + idle), most))


def plan(task: Task, options: engine.Options, path: Path) -> list[Piece]:
    """The pieces of this attempt: the earlier attempt's, when every one still matches these
    options (the done ones kept, the others queued again), else a new cut when the recording
    is long and workers are idle; [] to transcribe it whole."""
    # A first attempt has no earlier pieces: a short recording's job asks nothing here.
    earlier = list(Piece.objects.filter(task=task)) if task.attempts > 1 else []
    if earlier and all(p.fingerprint == fingerprint(options, p.start, p.end) for p in earlier):
        Piece.objects.filter(task=task).update(attempt=task.attempts)
        Piece.objects.filter(task=task).exclude(status=Piece.Status.DONE).update(
            status=Piece.Status.QUEUED,
            tries=0,
            worker="",
            beat_at=None,
            progress=0,
            result=None,
            error_code="",
            error="",
        )
        return list(Piece.objects.filter(task=task))
    if earlier:
        Piece.objects.filter(task=task).delete()
    # Speakers are labelled over the whole recording at once, or their names would not agree.
    if options.speakers or settings.CHUNK_MIN_SECONDS <= 0:
        return []
    duration = task.duration_seconds or engine.probe_duration(path) or 0.0
    # Who is idle is asked only about a recording long enough to be cut.
    if piece_count(duration, idle=1) < 2:
        return []
    count = piece_count(duration, idle_workers(task.pk))
    if count < 2:
        return []
    bounds = engine.speech_cuts(path, count)
    if len(bounds) < 2:
        return []
    return Piece.objects.bulk_create(
        Piece(
            task=task,
            attempt=task.attempts,
            index=index,
            start=start,
            end=end,
            fingerprint=fingerprint(options, start, end),
        )
        for index, (start, end) in enumerate(bounds)
    )


def transcribe_work(job: runner.Transcription, task: Task) -> dict[str, Any]:
    """The work of an audio task's job: in pieces over the idle workers when `plan` says so,
    else whole (runner.transcribe_work)."""
    options = engine.Options.for_task(task)
    pieces = plan(task, options, job.audio_path)
    if not pieces:
        return runner.transcribe_work(job, task)
    try:
        return Parent(job, task, options, pieces).run()
    except BaseException:
        # Cancelled, taken over, failed or out of time: what is not done is not this
        # attempt's to finish (piece jobs elsewhere notice at their next segment).
        with contextlib.suppress(DatabaseError):
            Piece.objects.filter(task=task, attempt=task.attempts).exclude(
                status=Piece.Status.DONE
            ).update(status=Piece.Status.CANCELLED)
        raise


class Parent:
    """The task's own job while its recording is in pieces: claims and transcribes queued
    pieces, watches the others, and stitches the result."""

    def __init__(
        self, job: runner.Transcription, task: Task, options: engine.Options, pieces: list[Piece]
    ) -> None:
        self.job = job
        self.task = task
        self.options = options
        self.pieces = pieces
        self.attempt = task.attempts
        self.worker = runner.worker_name()[:200]
        self.duration = pieces[-1].end
        # The latest result seen of each piece, partial or whole, by index.
        self.results: dict[int, dict[str, Any]] = {
            p.index: p.result for p in pieces if p.status == Piece.Status.DONE and p.result
        }
        self.reused = len(self.results)
        self.loaded_at = time.monotonic()

    def rows(self) -> Any:
        return Piece.objects.filter(task=self.task, attempt=self.attempt)

    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        queued = [p.index for p in self.pieces if p.status == Piece.Status.QUEUED]
        enqueue_pieces(self.task.pk, self.attempt, queued[1:])
        logger.info(
            "Task %s: %d pieces (%d done before), %d queued for other workers",
            self.task.pk,
            len(self.pieces),
            self.reused,
            len(queued[1:]),
        )
        while True:
            self.job.checkpoint()
            piece = self.claim_queued() or self.take_over()
            if piece is not None:
                self.transcribe(piece)
                continue
            if not self.rows().exclude(status=Piece.Status.DONE).exists():
                break
            if self.refresh():
                self.job.on_segment(self.stitch(partial=True))
            if self.job.heartbeat.lost.wait(WAIT_SECONDS):
                self.job.checkpoint()
        self.pieces = list(self.rows())
        self.results = {p.index: p.result for p in self.pieces}
        result = self.stitch(partial=False)
        wall = time.monotonic() - started
        result["run"]["wall_seconds"] = round(wall, 3)
        result["run"]["real_time_factor"] = round(self.duration / wall, 2) if wall > 0 else None
        return result

    def claim_queued(self) -> Piece | None:
        """The first queued piece, now running here; None when none is left."""
        while True:
            piece = self.rows().filter(status=Piece.Status.QUEUED).order_by("index").first()
            if piece is None:
                return None
            if claim(self.rows().filter(pk=piece.pk, status=Piece.Status.QUEUED), self.worker):
                return Piece.objects.get(pk=piece.pk)

    def take_over(self) -> Piece | None:
        """A piece whose worker stopped beating, or that failed, now running here; PieceFailed
        when one failed on its last try."""
        stale = timezone.now() - timedelta(seconds=settings.HEARTBEAT_GRACE_SECONDS)
        lost = Q(status=Piece.Status.RUNNING, beat_at__lt=stale) & ~Q(worker=self.worker)
        for piece in self.rows().filter(lost | Q(status=Piece.Status.FAILED)).order_by("index"):
            if piece.status == Piece.Status.FAILED and piece.tries >= PIECE_TRIES:
                # The failed task keeps what the other pieces said (runner.Transcription.failed
                # stores its last partial result).
                self.refresh(now=True)
                self.job.latest = self.stitch(partial=True)
                raise PieceFailed(piece)
            logger.warning(
                "Task %s: piece %d %s on %s; transcribing it here",
                self.task.pk,
                piece.index,
                "failed" if piece.status == Piece.Status.FAILED else "lost its worker",
                piece.worker,
            )
            same = self.rows().filter(pk=piece.pk, status=piece.status, tries=piece.tries)
            if claim(same, self.worker):
                return Piece.objects.get(pk=piece.pk)
        return None

    def transcribe(self, piece: Piece) -> None:
        mine = piece_rows(piece)
        # A taken-over piece's partial result from its lost worker is not this try's.
        self.results.pop(piece.index, None)

        def on_segment(partial: dict[str, Any]) -> None:
            self.results[piece.index] = partial
            self.refresh()
            self.job.on_segment(self.stitch(partial=True))

        try:
            result = engine.transcribe(
                self.job.audio_path,
                self.options,
                task_id=self.job.task_id,
                on_segment=on_segment,
                clip=(piece.start, piece.end),
            )
        except engine.EngineError as exc:
            self.results.pop(piece.index, None)
            mine.update(status=Piece.Status.FAILED, error_code=exc.code, error=exc.message)
            return
        self.results[piece.index] = result
        finished(mine, piece, result)

    def refresh(self, *, now: bool = False) -> bool:
        """Read the results the pieces' rows hold (partial for those running elsewhere), as
        often as the attempt saves its own partial result (HEARTBEAT_SECONDS), so progress
        covers the whole recording, or `now`; whether it read them."""
        if not now and time.monotonic() - self.loaded_at < settings.HEARTBEAT_SECONDS:
            return False
        self.loaded_at = time.monotonic()
        for index, result in self.rows().exclude(result=None).values_list("index", "result"):
            self.results[index] = result
        return True

    def stitch(self, *, partial: bool) -> dict[str, Any]:
        """The result of the whole recording from its pieces' (docs/CONTRACTS.md): segments in
        order (their times are the recording's already), numbered again; `languages` in order
        of first appearance and `language` the one spoken longest."""
        segments: list[dict[str, Any]] = []
        processed = 0.0
        for piece in self.pieces:
            result = self.results.get(piece.index) or {}
            for segment in result.get("segments") or []:
                segments.append({**segment, "id": len(segments)})
            whole = result and not result.get("partial")
            processed += piece.seconds if whole else result.get("processed_seconds", 0.0)
        heard: dict[str, float] = {}
        for segment in segments:
            if segment.get("language"):
                length = segment["end"] - segment["start"]
                heard[segment["language"]] = heard.get(segment["language"], 0.0) + length
        language = max(heard, key=heard.__getitem__) if heard else self.options.language
        sure = [
            r["language_probability"]
            for r in self.results.values()
            if r.get("language") == language and r.get("language_probability") is not None
        ]
        first = next((self.results[p.index] for p in self.pieces if p.index in self.results), {})
        run: dict[str, Any] = dict(first.get("run") or {})
        run.update(
            options=asdict(self.options),
            channels=(
                "split"
                if any(
                    (r.get("run") or {}).get("channels") == "split" for r in self.results.values()
                )
                else "mix"
            ),
            batched=any((r.get("run") or {}).get("batched") for r in self.results.values()),
            wall_seconds=None,
            real_time_factor=None,
            resumed_at=None,
            clip=None,
            pieces={
                "count": len(self.pieces),
                "bounds": [[p.start, p.end] for p in self.pieces],
                "workers": [p.worker for p in self.pieces],
                "reused": self.reused,
            },
        )
        return {
            "task_id": self.job.task_id,
            "partial": partial,
            "text": " ".join(s["text"] for s in segments),
            "language": language,
            "language_probability": max(sure) if sure else None,
            "languages": engine.languages_of(segments),
            "duration": round(self.duration, 3),
            "confidence": None if partial else engine.confidence(segments),
            "segments": segments,
            "processed_seconds": self.duration if not partial else processed,
            "run": run,
        }


def claim(rows: Any, worker: str) -> bool:
    """Whether the one piece in `rows` (filtered on the state it was seen in) is now running
    on `worker`, as its next try."""
    return (
        rows.update(
            status=Piece.Status.RUNNING,
            worker=worker,
            beat_at=timezone.now(),
            tries=F("tries") + 1,
            progress=0,
            result=None,
            error_code="",
            error="",
        )
        == 1
    )


def piece_rows(piece: Piece) -> Any:
    """The piece as long as it is this claim's: the same try, running, of an attempt its task
    is still processing."""
    return Piece.objects.filter(
        pk=piece.pk,
        tries=piece.tries,
        attempt=piece.attempt,
        status=Piece.Status.RUNNING,
        task__status=Status.PROCESSING,
        task__attempts=piece.attempt,
    )


def finished(mine: Any, piece: Piece, result: dict[str, Any]) -> None:
    done = mine.update(
        status=Piece.Status.DONE,
        progress=100,
        result=result,
        language=result["language"] or "",
        beat_at=timezone.now(),
    )
    run = result["run"]
    if done and run["wall_seconds"]:
        # This worker's own pace on this piece: the whole task's is several workers'.
        ModelSpeed.record(
            f"{socket.gethostname()}:{engine.device_label()}",
            run["model"],
            run["device"],
            max(piece.seconds, engine.WINDOW_SECONDS) / run["wall_seconds"],
        )


class PieceBeat(runner.Beat):
    """Writes the piece's beat_at, and notices when the piece stops being this job's."""

    def __init__(self, mine: Any) -> None:
        super().__init__("piece-heartbeat")
        self.mine = mine

    def beat(self) -> bool:
        return self.mine.update(beat_at=timezone.now()) == 1

    def still_ours(self) -> bool:
        return self.mine.exists()


def transcribe_piece(task_id: str, piece_id: int) -> None:
    """Transcribe one queued piece of a task here (a job for an idle worker); nothing when the
    piece is no longer queued (its parent took it) or its attempt is over."""
    worker = runner.worker_name()[:200]
    queued = Piece.objects.filter(
        pk=piece_id,
        task_id=task_id,
        status=Piece.Status.QUEUED,
        task__status=Status.PROCESSING,
        task__attempts=F("attempt"),
    )
    if not claim(queued, worker):
        logger.info("Task %s: piece %s is not waiting for a worker", task_id, piece_id)
        return
    piece = Piece.objects.select_related("task").get(pk=piece_id)
    mine = piece_rows(piece)
    beat = PieceBeat(mine)
    with signals_to_main_thread():
        beat.start()
    last_save = time.monotonic()

    def on_segment(partial: dict[str, Any]) -> None:
        nonlocal last_save
        if beat.lost.is_set():
            raise PieceStopped
        if time.monotonic() - last_save >= settings.HEARTBEAT_SECONDS:
            last_save = time.monotonic()
            progress = partial["processed_seconds"] / max(piece.seconds, 0.001) * 100
            saved = mine.update(
                progress=min(progress, 99.0), result=partial, beat_at=timezone.now()
            )
            if not saved:
                raise PieceStopped

    try:
        with blobs.local_copy(piece.task.file_path) as path:
            result = engine.transcribe(
                path,
                engine.Options.for_task(piece.task),
                task_id=str(task_id),
                on_segment=on_segment,
                clip=(piece.start, piece.end),
            )
    except PieceStopped:
        logger.info("Task %s: piece %d stopped, no longer this job's", task_id, piece.index)
    except Exception as exc:
        # BaseTimeoutException is an Exception: RQ's timer raises it inside this thread.
        if isinstance(exc, FileNotFoundError):
            exc = engine.FileMissing("The uploaded file is missing; upload it again.")
        code, message = runner.error_for(exc)
        logger.error("Task %s: piece %d failed with %s", task_id, piece.index, code, exc_info=exc)
        mine.update(status=Piece.Status.FAILED, error_code=code, error=message)
    else:
        finished(mine, piece, result)
    finally:
        beat.stop()
