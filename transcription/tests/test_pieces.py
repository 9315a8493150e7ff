"""A long recording in pieces (transcription.pieces): the plan, the cuts, the stitched result,
cancel and resume, on real speech with tiny.en. The job here runs in a worker thread alone, so
the task's own job transcribes every piece; real worker processes sharing one recording are
test_transcribe_piece's."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from bench import speech_clips
from conftest import JFK_FLAC, JFK_TEXT
from tasks_app.models import Attempt, Kind, Status, Task
from tasks_app.services import cancel_task, load_result, retry_task
from transcription import engine, jobs, pieces, runner
from transcription.models import Piece, WorkerProcess
from transcription.services import enqueue_task
from transcription.tests.conftest import status_of, wait_for, word_error_rate

pytestmark = pytest.mark.django_db(transaction=True)


def long_speech(directory: Path, seconds: float) -> Path:
    """The first `seconds` of bench/speech_clips.py's english clip (espeak-ng voices, jfk.flac,
    pauses of 0.3-4 s), as FLAC."""
    built, _reference = speech_clips.build("english", JFK_FLAC, JFK_TEXT)
    target = directory / f"english_{seconds:.0f}s.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-i", str(built), "-t", str(seconds), str(target)],
        check=True,
        timeout=60,
    )
    return target


@pytest.fixture(scope="module")
def speech_80s(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return long_speech(tmp_path_factory.mktemp("audio"), 80)


@pytest.fixture(scope="module")
def jfk_2x(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.flac twice with 1.5 s of silence after each (25 s): words tiny.en gets right, so a
    word lost or doubled at the seam shows (more repeats make it fall back to sampling, whose
    slips vary from run to run)."""
    import numpy as np

    jfk = engine.decode(JFK_FLAC)
    pause = np.zeros(int(1.5 * engine.SAMPLE_RATE), dtype=np.float32)
    target = tmp_path_factory.mktemp("audio") / "jfk_2x_pauses.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", "-"]
        + [str(target)],
        input=np.concatenate([jfk, pause] * 2).tobytes(),
        check=True,
        timeout=60,
    )
    return target


def idle_worker(name: str = "idle", **fields: Any) -> WorkerProcess:
    """A live worker process's row, listening to media and doing nothing: another host's, say,
    that takes no job in this test."""
    fields.setdefault("queues", "media,default")
    return WorkerProcess.objects.create(name=name, hostname="elsewhere", pid=1, **fields)


@pytest.fixture
def split(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Pieces from 30 s (none shorter than 15 s), one per worker, heartbeats every 0.2 s."""
    settings.CHUNK_MIN_SECONDS = 30
    settings.HEARTBEAT_SECONDS = 0.2
    monkeypatch.setattr(pieces, "PIECES_PER_WORKER", 1)
    return settings


def test_it_plans_pieces_for_this_worker_and_each_idle_one_none_too_short(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHUNK_MIN_SECONDS = 120

    assert pieces.piece_count(120, idle=3) == 1
    assert pieces.piece_count(180, idle=0) == 1
    # Two for each worker: whoever is done first takes the next.
    assert pieces.piece_count(185, idle=1) == 4
    # 30-s pieces at the shortest.
    assert pieces.piece_count(180, idle=5) == 6
    monkeypatch.setattr(pieces, "PIECES_PER_WORKER", 1)
    assert pieces.piece_count(180, idle=1) == 2
    assert pieces.piece_count(180, idle=5) == 3
    settings.CHUNK_MIN_SECONDS = 0
    assert pieces.piece_count(3600, idle=5) == 1


def test_it_counts_idle_workers_less_the_media_work_waiting_for_them(
    file_task: Any, jfk_flac: Path
) -> None:
    idle_worker("a")
    idle_worker("b")
    idle_worker("busy", current_task_id=file_task().pk)
    idle_worker("text only", queues="default")
    idle_worker("gone", last_seen_at=timezone.now() - timedelta(hours=1))
    assert pieces.idle_workers(task_id=None) == 2

    queued = [file_task().pk, file_task().pk]
    Task.objects.filter(pk__in=queued).update(status=Status.IN_PROGRESS)
    # A text task waits for the default queue's workers.
    Task.objects.filter(pk=queued[1]).update(kind=Kind.TEXT)

    assert pieces.idle_workers(task_id=None) == 1


def speech_in(bounds: list[tuple[float, float]], regions: list[tuple[float, float]]) -> list[float]:
    """Seconds of speech (of `regions`) within each of `bounds`."""
    return [sum(max(0.0, min(e, b) - max(s, a)) for s, e in regions) for a, b in bounds]


def test_it_cuts_in_the_middle_of_pauses_near_even_shares_of_the_speech(
    speech_80s: Path,
) -> None:
    bounds = engine.speech_cuts(speech_80s, 3)

    audio = engine.decode(speech_80s)
    assert len(bounds) == 3
    assert bounds[0][0] == 0 and bounds[-1][1] == pytest.approx(len(audio) / 16000, abs=0.01)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    cuts = [end for _start, end in bounds[:-1]]
    speech = engine.speech_regions(audio)
    assert not [(cut, s) for cut in cuts for s in speech if s[0] < cut < s[1]]
    # Sentences here last a few seconds: the pause nearest each third of the speech is close.
    held = speech_in(bounds, speech)
    assert max(held) - min(held) < 6, held


@pytest.fixture(scope="module")
def jfk_3x_sparse_end(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.flac twice with short pauses, 25 s of silence, jfk.flac once more (62 s): the
    middle of its length is silence, the middle of its speech lies in the second jfk."""
    import numpy as np

    jfk = engine.decode(JFK_FLAC)
    pause = np.zeros(int(1.5 * engine.SAMPLE_RATE), dtype=np.float32)
    silence = np.zeros(25 * engine.SAMPLE_RATE, dtype=np.float32)
    target = tmp_path_factory.mktemp("audio") / "jfk_3x_sparse_end.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "f32le", "-ar", "16000", "-ac", "1", "-i", "-"]
        + [str(target)],
        input=np.concatenate([jfk, pause, jfk, pause, silence, jfk, pause]).tobytes(),
        check=True,
        timeout=60,
    )
    return target


def test_it_cuts_by_the_speech_not_the_length(jfk_3x_sparse_end: Path) -> None:
    bounds = engine.speech_cuts(jfk_3x_sparse_end, 2)

    # Not in the long silence, where half the length lies: in the second jfk's pauses.
    assert 13 < bounds[0][1] < 24
    held = speech_in(bounds, engine.speech_regions(engine.decode(jfk_3x_sparse_end)))
    # jfk.flac's longest phrase is about 3 s: the pause nearest half its speech is that close.
    assert abs(held[0] - held[1]) < 4, held


def test_it_decodes_a_span_alone_as_the_whole_decode_has_it(jfk_flac: Path) -> None:
    import numpy as np

    whole = engine.decode(jfk_flac)

    for start, end in [(0.0, 4.0), (3.25, 9.0), (7.0, 11.0)]:
        span = engine.decode_span(jfk_flac, start, end)
        same = whole[int(start * 16000) : int(end * 16000)]
        assert len(span) == len(same)
        # jfk.flac is 44.1 kHz: the resampler starts afresh on the span, a fraction of a
        # sample off the whole decode's; the same sound at the same moment (one sample late
        # or early would correlate at about 0.9).
        assert np.corrcoef(span[1600:], same[1600:])[0, 1] > 0.99


def test_it_transcribes_a_clip_with_the_recordings_times(speech_80s: Path) -> None:
    result = engine.transcribe(speech_80s, engine.Options(model_name="tiny.en"), clip=(30, 50))

    assert result["duration"] == pytest.approx(20, abs=0.01)
    assert result["run"]["clip"] == [30, 50]
    assert result["segments"]
    assert all(30 <= s["start"] <= s["end"] <= 50 for s in result["segments"])
    assert result["segments"][0]["start"] < 35


def test_it_decodes_a_clip_as_its_whole_recording_would(settings: Any, speech_80s: Path) -> None:
    # Batched above 60 s: the whole recording is, its 20-s piece alone would not be.
    settings.BATCHED_LONG_SECONDS = 60

    result = engine.transcribe(speech_80s, engine.Options(model_name="tiny.en"), clip=(30, 50))

    assert result["run"]["batched"] and result["segments"]


def test_it_transcribes_a_long_recording_in_pieces_without_losing_a_word(
    split: Any, file_task: Any, jfk_2x: Path, drain: Any
) -> None:
    split.CHUNK_MIN_SECONDS = 10
    idle_worker()
    task = file_task(jfk_2x)
    enqueue_task(task.pk)

    drain()

    task.refresh_from_db()
    assert task.status == Status.COMPLETED, task.error_message
    result = load_result(task)
    assert result["run"]["pieces"]["count"] == 2
    assert result["run"]["pieces"]["reused"] == 0
    assert word_error_rate(" ".join([JFK_TEXT] * 2), result["text"]) == 0
    # Cut in the pause between the two.
    assert result["run"]["pieces"]["bounds"][0][1] == pytest.approx(11.75, abs=0.5)
    segments = result["segments"]
    assert [s["id"] for s in segments] == list(range(len(segments)))
    starts = [s["start"] for s in segments]
    assert starts == sorted(starts)
    assert all(a["end"] <= b["start"] + 0.01 for a, b in zip(segments, segments[1:], strict=False))
    assert segments[0]["start"] < 2 and segments[-1]["end"] > result["duration"] - 5
    assert result["duration"] == pytest.approx(25, abs=0.01)
    assert (result["language"], result["languages"]) == ("en", ["en"])
    assert result["confidence"] and task.progress == 100
    # This worker transcribed both: the other never took its piece's job.
    assert list(Piece.objects.filter(task=task).values_list("status", "tries")) == [
        ("done", 1),
        ("done", 1),
    ]


def test_it_cancels_midway_and_a_retry_keeps_the_done_pieces(
    split: Any, file_task: Any, speech_80s: Path, background_worker: Any, drain: Any
) -> None:
    idle_worker("a")
    idle_worker("b")
    task = file_task(speech_80s)
    enqueue_task(task.pk)
    running = background_worker()
    wait_for(lambda: Piece.objects.filter(task=task, index=0, status="done").exists())

    assert cancel_task(task)

    wait_for(lambda: Attempt.objects.filter(task=task, outcome="cancelled").exists())
    statuses = dict(Piece.objects.filter(task=task).values_list("index", "status"))
    assert statuses == {0: "done", 1: "cancelled", 2: "cancelled"}
    task.refresh_from_db()
    # What was transcribed before the cancel is kept, and never resumed as if it were whole.
    partial = load_result(task)
    assert partial["partial"] and partial["run"]["pieces"]["count"] == 3
    assert engine.resumable_segments(partial, engine.Options.for_task(task), "tiny.en") == []

    running.join(60)
    assert retry_task(task)
    drain()

    assert status_of(task) == Status.COMPLETED
    result = load_result(Task.objects.get(pk=task.pk))
    assert result["run"]["pieces"]["reused"] == 1
    assert result["segments"][0]["start"] < 2 and not result["partial"]
    tries = dict(Piece.objects.filter(task=task).values_list("index", "tries"))
    # Piece 0 was not transcribed again.
    assert tries == {0: 1, 1: 1, 2: 1}
    assert Task.objects.get(pk=task.pk).attempts == 2


def stored(task: Task) -> Path:
    return Path(settings.STORAGE_ROOT) / task.file_path


def run_parent_after(task: Task, before: Any) -> None:
    """The task's own job, whose recording is cut in two, after `before(pieces)` ran between
    the cut and the parent's work (what piece jobs elsewhere did meanwhile)."""

    def work(job: runner.Transcription, task: Task) -> dict[str, Any]:
        options = engine.Options.for_task(task)
        made = pieces.plan(task, options, job.audio_path)
        assert len(made) == 2
        before(made)
        return pieces.Parent(job, task, options, made).run()

    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    runner.Transcription(str(task.pk), task.file_path, work).run()


def test_it_transcribes_a_piece_whose_job_failed_once_again_in_the_tasks_own_job(
    split: Any, file_task: Any, jfk_2x: Path, queues: Any
) -> None:
    split.CHUNK_MIN_SECONDS = 10
    idle_worker()
    task = file_task(jfk_2x)

    def second_fails(made: list[Piece]) -> None:
        # The piece's worker finds no file (a host whose disk lost it): a real failure.
        stored(task).rename(stored(task).with_suffix(".away"))
        pieces.transcribe_piece(str(task.pk), made[1].pk)
        stored(task).with_suffix(".away").rename(stored(task))

    run_parent_after(task, second_fails)

    assert status_of(task) == Status.COMPLETED
    assert list(Piece.objects.filter(task=task).values_list("status", "tries")) == [
        ("done", 1),
        ("done", 2),
    ]
    result = load_result(Task.objects.get(pk=task.pk))
    assert word_error_rate(" ".join([JFK_TEXT] * 2), result["text"]) == 0


def test_it_fails_the_task_with_the_pieces_reason_when_it_fails_again(
    split: Any, file_task: Any, jfk_2x: Path, queues: Any
) -> None:
    split.CHUNK_MIN_SECONDS = 10
    idle_worker()
    task = file_task(jfk_2x)

    def first_done_second_fails_for_good(made: list[Piece]) -> None:
        pieces.transcribe_piece(str(task.pk), made[0].pk)
        # Gone for good: the piece's job fails, then the parent's try of it.
        stored(task).unlink()
        pieces.transcribe_piece(str(task.pk), made[1].pk)

    run_parent_after(task, first_done_second_fails_for_good)

    task.refresh_from_db()
    assert task.status == Status.FAILED
    assert task.error_code == "FILE_MISSING"
    assert task.error_message == (
        "Part 2 of the recording (0:11-0:25) could not be transcribed: "
        "The uploaded file is missing; upload it again."
    )
    assert list(Piece.objects.filter(task=task).values_list("status", "tries")) == [
        ("done", 1),
        ("failed", 2),
    ]
    # What the first piece said is kept with the failure.
    assert task.transcript_text.startswith("And so")


def test_it_transcribes_every_piece_itself_when_redis_is_down(
    split: Any, file_task: Any, jfk_2x: Path
) -> None:
    split.CHUNK_MIN_SECONDS = 10
    idle_worker()
    task = file_task(jfk_2x)
    Task.objects.filter(pk=task.pk).update(status=Status.IN_PROGRESS)
    # Nothing listens there: connecting is refused at once.
    split.RQ_QUEUES = {
        name: {**config, "URL": "redis://127.0.0.1:9/0"}
        for name, config in settings.RQ_QUEUES.items()
    }

    jobs.transcribe_audio(str(task.pk), task.file_path)

    assert status_of(task) == Status.COMPLETED
    parent = Attempt.objects.get(task=task).worker
    assert list(Piece.objects.filter(task=task).values_list("status", "tries", "worker")) == [
        ("done", 1, parent),
        ("done", 1, parent),
    ]
    result = load_result(Task.objects.get(pk=task.pk))
    assert word_error_rate(" ".join([JFK_TEXT] * 2), result["text"]) == 0
