"""Work that recurs: a schedule makes a to-do (or re-runs a text analysis) on a rule, and every
run is an execution row that says what happened."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rule(models.TextChoices):
    CRON = "cron", _("Cron expression")
    INTERVAL = "interval", _("Fixed interval")
    ONCE = "once", _("Once")


class Action(models.TextChoices):
    TODO = "todo", _("Create a to-do")
    ANALYSIS = "analysis", _("Re-run a text analysis")


class Schedule(models.Model):
    workspace = models.ForeignKey(
        "tasks_app.Workspace", on_delete=models.CASCADE, related_name="schedules"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(max_length=200)
    rule = models.CharField(max_length=8, choices=Rule.choices)
    cron = models.CharField(max_length=100, blank=True)
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)
    # An IANA name ("Asia/Tehran"): cron fields and the title's date read in it.
    timezone = models.CharField(max_length=64, default="UTC")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.TODO)
    # The to-do's template. `title` may hold strftime codes ("Standup %Y-%m-%d"), read in the
    # schedule's time zone at the due time.
    title = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    priority = models.CharField(max_length=8, default="medium")
    tags = models.ManyToManyField("tasks_app.Tag", blank=True, related_name="+")
    # Days after the due time the to-do is due (None: no due date).
    due_in_days = models.PositiveIntegerField(null=True, blank=True)
    # The text (or transcript) task whose analysis an `analysis` schedule re-runs.
    source_task = models.ForeignKey(
        "tasks_app.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paused = models.BooleanField(default=False)
    # The due slot the next run claims (conditional UPDATE on this value); None when nothing is
    # due any more (a `once` schedule that ran).
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Execution(models.Model):
    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="executions")
    # The slot this run is for; a "run now" has its own moment. Unique: one run per due time,
    # however many processes see it due.
    due_at = models.DateTimeField()
    # Run manually ("run now") rather than by the clock.
    manual = models.BooleanField(default=False)
    # The due time passed while nothing was running; this is the one catch-up run.
    missed = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    task = models.ForeignKey(
        "tasks_app.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="execution_once_per_slot"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.due_at:%Y-%m-%d %H:%M} ({self.outcome})"
