from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Left
from django.db.models.lookups import Regex
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tasks_app.announcements import announce


class Status(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    IN_PROGRESS = "IN_PROGRESS", _("Queued")
    PROCESSING = "PROCESSING", _("Processing")
    COMPLETED = "COMPLETED", _("Completed")
    FAILED = "FAILED", _("Failed")
    CANCELLED = "CANCELLED", _("Cancelled")


class Kind(models.TextChoices):
    TODO = "todo", _("To-do")
    TRANSCRIPTION = "transcription", _("Transcription")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text")
    FILE = "file", _("File")


class Mode(models.TextChoices):
    TRANSCRIBE = "transcribe", _("Transcribe")
    TRANSLATE = "translate", _("Translate to English")


class ErrorCode(models.TextChoices):
    DECODE_ERROR = "DECODE_ERROR", _("The file could not be decoded as audio")
    AUDIO_TOO_LONG = "AUDIO_TOO_LONG", _("The recording is longer than allowed")
    MODEL_UNAVAILABLE = "MODEL_UNAVAILABLE", _("The model is not available")
    OUT_OF_MEMORY = "OUT_OF_MEMORY", _("The worker ran out of memory")
    TIMEOUT = "TIMEOUT", _("The job took too long")
    WORKER_LOST = "WORKER_LOST", _("The worker stopped responding")
    FILE_MISSING = "FILE_MISSING", _("The uploaded file is missing")
    DOCUMENT_ERROR = "DOCUMENT_ERROR", _("The document could not be read")
    NO_TEXT = "NO_TEXT", _("The document holds no text")
    STORAGE_FULL = "STORAGE_FULL", _("The server's storage is full")
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE", _("The file storage could not be reached")
    INTERNAL = "INTERNAL", _("Internal error")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


# Sorting by priority sorts by this rank (a Case over the column; see TaskQuerySet.by_priority).
PRIORITY_RANK = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2, Priority.URGENT: 3}


class Channels(models.TextChoices):
    AUTO = "auto", _("Automatic")
    SPLIT = "split", _("One speaker per channel")
    MIX = "mix", _("Mix to mono")


class AnalysisStatus(models.TextChoices):
    """The follow-up text analysis of a finished transcript (a text task analyses at once)."""

    NONE = "", _("Not requested")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


# A follow-up analysis takes seconds; one still unfinished after this was lost.
ANALYSIS_STALE = timedelta(minutes=10)
# Automatic speaker labels: the most speakers a user may ask for (k-means beyond it is noise).
MAX_SPEAKERS = 10
TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})
ACTIVE = frozenset({Status.PENDING, Status.IN_PROGRESS, Status.PROCESSING})
# A to-do's owner moves it freely between these; files follow the worker's pipeline instead.
MANUAL_STATUSES = frozenset(
    {Status.PENDING, Status.IN_PROGRESS, Status.COMPLETED, Status.CANCELLED}
)


def thumbnail_relpath(task_id: Any) -> str:
    """Where a video task's JPEG still is written, relative to STORAGE_ROOT."""
    return f"results/{task_id}_thumbnail.jpg"


def normalized_audio_relpath(task_id: Any) -> str:
    """Where a video task's sound track is kept as 16 kHz mono FLAC, when asked for."""
    return f"results/{task_id}_audio.flac"


def seconds_left_at_measured_speed(
    progress: float, started_at: datetime, now: datetime
) -> float | None:
    """Time a running attempt still needs if it keeps the pace it has kept since it started:
    `progress` (0–100) took `now - started_at`. None before the first progress, when there is
    no pace to measure. Always above 0 before 100 %, so a page never says "0 minutes left"
    while the work goes on."""
    elapsed = (now - started_at).total_seconds()
    if progress <= 0 or elapsed <= 0:
        return None
    done = min(progress, 100.0)
    return max(elapsed * (100.0 - done) / done, 1.0) if done < 100 else 0.0


class TaskQuerySet(models.QuerySet["Task"]):
    def alive(self) -> TaskQuerySet:
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user: Any) -> TaskQuerySet:
        """Live tasks in the workspaces `user` is a member of: one join, no query per task."""
        return self.alive().filter(workspace__memberships__user=user)

    def without_text(self) -> TaskQuerySet:
        """For lists: the transcript's text left unread (a long recording's is tens of KB, so
        a page of 100 read megabytes for nothing), with whether it has any
        (`Task.has_transcript_text`) worked out by the database instead."""
        # Its start first (a CASE, whose order is kept, unlike an OR's): PostgreSQL then
        # decompresses a long text's first pieces only, and all of it only when they are blank.
        present = models.Case(
            models.When(Regex(Left("transcript_text", 200), r"\S"), then=models.Value(True)),
            default=Regex(models.F("transcript_text"), r"\S"),
            output_field=models.BooleanField(),
        )
        return self.defer("transcript_text").annotate(transcript_present=present)

    def overdue(self, now: datetime | None = None) -> TaskQuerySet:
        """To-dos past their due date and not done or cancelled (files follow the worker and
        are never overdue); the overdue notification uses the same rule."""
        return self.filter(kind=Kind.TODO, due_date__lt=now or timezone.now()).exclude(
            status__in=[Status.COMPLETED, Status.CANCELLED]
        )

    def by_priority(self, *, descending: bool = True) -> TaskQuerySet:
        rank = models.Case(
            *(models.When(priority=p, then=models.Value(r)) for p, r in PRIORITY_RANK.items()),
            default=models.Value(1),
            output_field=models.IntegerField(),
        )
        return self.alias(priority_rank=rank).order_by(
            "-priority_rank" if descending else "priority_rank", "-created_at", "-id"
        )

    def transition(self, pk: Any, sources: Any, target: Status, **fields: Any) -> bool:
        """Move task `pk` to `target` only if it is in one of `sources`.

        The conditional UPDATE is the lock: 0 rows means someone else moved it first, so a
        late writer can never overwrite a terminal state.
        """
        now = timezone.now()
        fields.setdefault("updated_at", now)
        if target == Status.COMPLETED:
            fields.setdefault("completed_at", now)
        moved = self.filter(pk=pk, status__in=list(sources)).update(status=target, **fields) == 1
        if moved:
            # Requests waiting for this task (`?wait=`, the OpenAI endpoints) look at it now.
            announce(pk)
        return moved


class Task(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks"
    )
    # Set by Task.save() to the owner's personal workspace when a caller names none.
    workspace = models.ForeignKey(
        "tasks_app.Workspace", on_delete=models.PROTECT, related_name="tasks"
    )
    # A member of the task's workspace who is to do it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tasks",
    )
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.MEDIUM)
    tags = models.ManyToManyField("tasks_app.Tag", blank=True, related_name="tasks")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TODO)
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    due_date = models.DateTimeField(null=True, blank=True)

    # The upload. Paths are relative to STORAGE_ROOT; the user's filename never reaches a path.
    file_path = models.CharField(max_length=500, blank=True)
    original_filename = models.CharField(max_length=255, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)

    # Processing options chosen at upload.
    model_name = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=16, blank=True, help_text=_("Empty means detect."))
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.TRANSCRIBE)
    word_timestamps = models.BooleanField(default=False)
    vad_filter = models.BooleanField(default=False)
    initial_prompt = models.TextField(blank=True)
    hotwords = models.TextField(blank=True)
    batched = models.BooleanField(default=False)
    # Videos: keep the sound track as 16 kHz mono FLAC beside the result.
    normalized_audio = models.BooleanField(default=False)
    # Stereo with one speaker per channel: transcribe each channel (split), mix to mono (mix), or
    # split only when the channels really differ (auto).
    channels = models.CharField(max_length=8, choices=Channels.choices, default=Channels.AUTO)
    # Automatic speaker labels on mono recordings: how many speakers (0: off).
    speakers = models.PositiveSmallIntegerField(default=0)

    # What processing found and how far it got.
    result_path = models.CharField(max_length=500, blank=True)
    transcript_text = models.TextField(blank=True)
    detected_language = models.CharField(max_length=16, blank=True)
    language_probability = models.FloatField(null=True, blank=True)
    progress = models.FloatField(default=0)
    processed_seconds = models.FloatField(default=0)
    error_code = models.CharField(max_length=32, blank=True, choices=ErrorCode.choices)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A video's JPEG still, relative to STORAGE_ROOT.
    thumbnail_path = models.CharField(max_length=500, blank=True)
    analysis_status = models.CharField(
        max_length=16, blank=True, choices=AnalysisStatus.choices, default=AnalysisStatus.NONE
    )
    analysis_requested_at = models.DateTimeField(null=True, blank=True)
    # The transcript workspace: the newest TranscriptRevision's number (0: the machine's result,
    # not edited). PATCH …/transcript must name it (optimistic locking).
    transcript_version = models.PositiveIntegerField(default=0)
    # Speaker labelling asked for after the transcript was done (POST …/speakers).
    speakers_status = models.CharField(
        max_length=16, blank=True, choices=AnalysisStatus.choices, default=AnalysisStatus.NONE
    )
    speakers_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Set when the audio was deleted to save space; the transcript and result stay.
    audio_purged_at = models.DateTimeField(null=True, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "status", "-created_at"], name="task_user_status_created"),
            models.Index(fields=["user", "-created_at"], name="task_user_created"),
            models.Index(fields=["status", "heartbeat_at"], name="task_status_heartbeat"),
            # The list's COUNT(*) and page over live tasks only: partial, so PostgreSQL answers
            # from the index without reading each row (27 → 5 ms at 10 000 tasks, bench/LOAD.md).
            models.Index(
                fields=["workspace", "-created_at"],
                name="task_workspace_alive_created",
                condition=models.Q(deleted_at__isnull=True),
            ),
            models.Index(fields=["assignee", "-created_at"], name="task_assignee_created"),
            # Full-text search on PostgreSQL has a GIN index too, created by migration 0002 only
            # there (see it for why it is not declared here).
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.workspace_id is None and self.user_id is not None:
            from tasks_app.workspaces.services import personal_workspace

            self.workspace = personal_workspace(self.user)
        super().save(*args, **kwargs)

    @property
    def is_overdue(self) -> bool:
        """The same rule as TaskQuerySet.overdue, for one loaded task."""
        return (
            self.kind == Kind.TODO
            and self.due_date is not None
            and self.due_date < timezone.now()
            and self.status not in (Status.COMPLETED, Status.CANCELLED)
        )

    @property
    def has_file(self) -> bool:
        return bool(self.file_path)

    @property
    def purge_after(self) -> datetime | None:
        """When a task in the Trash becomes due for `purge_deleted`; None for a live task."""
        if self.deleted_at is None:
            return None
        return self.deleted_at + timedelta(hours=settings.TRASH_RETENTION_HOURS)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL if self.has_file else False

    @property
    def is_active(self) -> bool:
        return self.has_file and self.status in ACTIVE

    @property
    def is_queued(self) -> bool:
        """Waiting for a worker: the only time a queue position means anything."""
        return self.is_active and self.status != Status.PROCESSING

    def seconds_left(self, now: datetime | None = None) -> float | None:
        """How long this attempt still needs at the speed it has shown so far (progress over
        the time since it started); None while it is not running or has no progress yet."""
        if self.status != Status.PROCESSING or self.started_at is None:
            return None
        return seconds_left_at_measured_speed(self.progress, self.started_at, now or timezone.now())

    @property
    def processing_seconds(self) -> float | None:
        """How long the attempt that completed the task took."""
        if self.status != Status.COMPLETED or not (self.started_at and self.completed_at):
            return None
        elapsed = (self.completed_at - self.started_at).total_seconds()
        return elapsed if elapsed > 0 else None

    @property
    def real_time_factor(self) -> float | None:
        """Seconds of recording transcribed per second of processing (10 means ten times
        faster than listening)."""
        elapsed = self.processing_seconds
        if not (elapsed and self.duration_seconds):
            return None
        return self.duration_seconds / elapsed

    def can_set_status(self, target: str) -> bool:
        """Whether the owner may set `target` by hand (only to-dos; files follow the worker)."""
        return not self.has_file and target in MANUAL_STATUSES

    def can_cancel(self) -> bool:
        return self.status not in TERMINAL

    def can_retry(self) -> bool:
        return self.has_file and self.status in (Status.FAILED, Status.CANCELLED)

    def has_transcript_text(self) -> bool:
        """Whether the transcript has any text; from TaskQuerySet.without_text's answer when
        the task was loaded by it (reading the deferred text would cost a query)."""
        present = self.__dict__.get("transcript_present")
        if present is not None:
            return bool(present)
        return bool(self.transcript_text.strip())

    def can_analyze(self) -> bool:
        """A finished transcript can be analysed as text, once at a time."""
        return (
            self.kind in (Kind.TRANSCRIPTION, Kind.VIDEO)
            and self.status == Status.COMPLETED
            and self.has_transcript_text()
            and not self.analysis_busy()
        )

    def speakers_busy(self) -> bool:
        # As for the analysis; a labelling job moves `updated_at` when it starts, so a long
        # recording's labelling is not taken for lost.
        return (
            self.speakers_status in (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)
            and timezone.now() - self.updated_at < ANALYSIS_STALE
        )

    def can_label_speakers(self) -> bool:
        """A finished recording's transcript can get automatic speaker labels while its audio
        is kept, one labelling at a time."""
        return (
            self.kind in (Kind.TRANSCRIPTION, Kind.VIDEO)
            and self.status == Status.COMPLETED
            and bool(self.result_path)
            and self.has_file
            and self.audio_purged_at is None
            and not self.speakers_busy()
        )

    def analysis_busy(self) -> bool:
        # A request whose job never ran (Redis lost it, the worker died) may be made again.
        return (
            self.analysis_status in (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)
            and self.analysis_requested_at is not None
            and timezone.now() - self.analysis_requested_at < ANALYSIS_STALE
        )


class Attempt(models.Model):
    """One worker's try at a task: the history that explains why a task failed or was retried."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        LOST = "lost", _("Worker lost")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attempt_set")
    number = models.PositiveIntegerField()
    worker = models.CharField(max_length=200, blank=True)
    device = models.CharField(max_length=200, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.RUNNING)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    progress = models.FloatField(default=0)

    class Meta:
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="attempt_task_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} #{self.number}"


# The integrations package's models belong to this app; Django finds an app's models by importing
# its `models` module.
import tasks_app.attachments.models  # noqa: E402, F401
import tasks_app.comments.models  # noqa: E402, F401
import tasks_app.integrations.models  # noqa: E402, F401
import tasks_app.schedules.models  # noqa: E402, F401
import tasks_app.tags.models  # noqa: E402, F401
import tasks_app.transcripts.models  # noqa: E402, F401
import tasks_app.workspaces.models  # noqa: E402, F401
from tasks_app.tags.models import Tag  # noqa: E402, F401
from tasks_app.workspaces.models import Membership, Role, Workspace  # noqa: E402, F401
