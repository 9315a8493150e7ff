"""What reacts to task events: the events themselves, webhooks and their deliveries, in-app
notifications and per-task audio retention. Tables keep the names they had under `accounts`
(`db_table`) so an existing database moved here without copying a row."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskEvent(models.Model):
    """Something that happened to a task that webhooks and notifications tell about.

    The unique row is what makes telling idempotent: the periodic tick (`events.tick`) records an
    event once per task, event and attempt, and only the caller that inserted the row sends
    anything.
    """

    class Kind(models.TextChoices):
        COMPLETED = "task.completed", _("Completed")
        FAILED = "task.failed", _("Failed")
        CANCELLED = "task.cancelled", _("Cancelled")
        OVERDUE = "task.overdue", _("Overdue")
        COMMENTED = "task.commented", _("Commented")
        ASSIGNED = "task.assigned", _("Assigned")
        MENTIONED = "task.mentioned", _("Mentioned")
        INVITED = "workspace.invited", _("Invited to a workspace")

    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=32, choices=Kind.choices)
    # A retried task can complete or fail again: each attempt is told once.
    attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_taskevent"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "event", "attempt"], name="task_event_once_per_attempt"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.task_id} #{self.attempt}"


class Webhook(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=500)
    # The HMAC key; the owner needs it to verify signatures, so it is stored as is.
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_webhook"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    Status = DeliveryStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=TaskEvent.Kind.choices)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "accounts_webhookdelivery"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(
        "tasks_app.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=32, choices=TaskEvent.Kind.choices)
    # The task's title when it happened (the workspace's name for an invitation): the message
    # reads right even after a rename.
    title = models.CharField(max_length=255)
    # Who did it (assigned, mentioned, invited); None for what the system tells.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invitation a `workspace.invited` notification lets its reader accept.
    invitation = models.ForeignKey(
        "tasks_app.Invitation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_notification"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return f"{self.event}: {self.title}"


class AudioRetention(models.Model):
    """When one task's audio is deleted (its transcript stays); overrides the owner's default."""

    task = models.OneToOneField(
        "tasks_app.Task", on_delete=models.CASCADE, primary_key=True, related_name="retention"
    )
    delete_after = models.DateTimeField()

    class Meta:
        db_table = "accounts_audioretention"

    def __str__(self) -> str:
        return f"{self.task_id} after {self.delete_after:%Y-%m-%d %H:%M}"
