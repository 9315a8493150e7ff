from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.utils import timezone

# How often a worker says it is alive, and how long silence means it is gone.
PRESENCE_SECONDS = 15
PRESENCE_TIMEOUT_SECONDS = 3 * PRESENCE_SECONDS
# Weight of a new measurement in the running real-time factor.
SPEED_SMOOTHING = 0.3


class WorkerProcessQuerySet(models.QuerySet["WorkerProcess"]):
    def alive(self) -> WorkerProcessQuerySet:
        cutoff = timezone.now() - timedelta(seconds=PRESENCE_TIMEOUT_SECONDS)
        return self.filter(last_seen_at__gte=cutoff)


class WorkerProcess(models.Model):
    """A running worker process: how many serve the queue, on what device, doing what."""

    name = models.CharField(max_length=100, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    device = models.CharField(max_length=200)
    queues = models.CharField(max_length=200)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    current_task_id = models.UUIDField(null=True, blank=True)
    jobs_done = models.PositiveIntegerField(default=0)

    objects = WorkerProcessQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.device})"


class ModelSpeed(models.Model):
    """Measured real-time factor (audio seconds per wall second) of one model on one worker."""

    worker = models.CharField(max_length=255, help_text="hostname and device, stable over restarts")
    model_name = models.CharField(max_length=100)
    device = models.CharField(max_length=200)
    real_time_factor = models.FloatField()
    samples = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "model_name", "device"], name="modelspeed_worker_model_device"
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_name} on {self.worker}: {self.real_time_factor:.1f}x"

    @classmethod
    def record(cls, worker: str, model_name: str, device: str, real_time_factor: float) -> None:
        speed, created = cls.objects.get_or_create(
            worker=worker,
            model_name=model_name,
            device=device,
            defaults={"real_time_factor": real_time_factor},
        )
        if created:
            return
        speed.real_time_factor += SPEED_SMOOTHING * (real_time_factor - speed.real_time_factor)
        speed.samples += 1
        speed.save(update_fields=["real_time_factor", "samples", "updated_at"])


class KeptResult(models.Model):
    """A finished result the object store would not take (StoreUnavailable past
    STORE_RETRY_SECONDS): kept here so that the next attempt of its task stores it instead of
    transcribing the recording again, and then forgets it."""

    task = models.OneToOneField(
        "tasks_app.Task", on_delete=models.CASCADE, related_name="kept_result"
    )
    result = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Result of task {self.task_id} kept for the store"


class Piece(models.Model):
    """One stretch of a long recording cut at a pause (transcription.pieces): transcribed by
    whichever worker claims it, stitched back by its task's own job. Rows outlive an attempt:
    a later attempt whose `fingerprint` matches keeps the done ones (resume)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="pieces")
    attempt = models.PositiveIntegerField()
    index = models.PositiveSmallIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # How many times it was claimed: a claim's work counts only while this is still its number.
    tries = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)
    # Percent of the piece decoded, 0-100.
    progress = models.FloatField(default=0)
    # The piece's result (engine.transcribe with its clip), partial while it runs.
    result = models.JSONField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    # Model, options and bounds: a piece is reused only by an attempt that would decode it alike.
    fingerprint = models.CharField(max_length=64)
    error_code = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "index"], name="piece_task_index"),
        ]
        ordering = ["task", "index"]

    def __str__(self) -> str:
        return f"Piece {self.index} ({self.start:.1f}-{self.end:.1f} s) of task {self.task_id}"

    @property
    def seconds(self) -> float:
        return self.end - self.start
