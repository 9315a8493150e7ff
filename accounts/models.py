from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email: str | None) -> User:
        return self.get(email__iexact=email)

    def create_user(
        self, email: str, username: str, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(email=self.normalize_email(email), username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, username: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True, db_index=True)
    username = models.CharField(max_length=150, unique=True, db_index=True)
    full_name = models.CharField(max_length=255, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    # Bumped to revoke every token issued before (password change, "log out everywhere").
    token_version = models.PositiveIntegerField(default=0)
    # Integrations: mail the in-app notifications too; delete finished audio after N days.
    notify_by_email = models.BooleanField(default=False)
    audio_retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Delete the audio of finished tasks after this many days."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = type(self).objects.normalize_email(self.email).lower()

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class ApiToken(models.Model):
    """A long-lived personal token for scripts (`Authorization: Bearer wrt_…`).

    Only the SHA-256 of the token is stored: the token is shown once, when it is created. A
    random 256-bit secret needs no slow hash; SHA-256 lets authentication find it by index.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    # The first characters of the token, so a user can tell their tokens apart in a list.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class TaskEvent(models.Model):
    """Something that happened to a task that webhooks and notifications tell about.

    The unique row is what makes telling idempotent: the periodic tick (accounts.integrations)
    records an event once per task, event and attempt, and only the caller that inserted the row
    sends anything.
    """

    class Kind(models.TextChoices):
        COMPLETED = "task.completed", _("Completed")
        FAILED = "task.failed", _("Failed")
        CANCELLED = "task.cancelled", _("Cancelled")
        OVERDUE = "task.overdue", _("Overdue")

    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=32, choices=Kind.choices)
    # A retried task can complete or fail again: each attempt is told once.
    attempt = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    # The HMAC key; the owner needs it to verify signatures, so it is stored as is.
    secret = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id} ({self.status})"


class Notification(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    task = models.ForeignKey(
        "tasks_app.Task", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=32, choices=TaskEvent.Kind.choices)
    # The task's title when it happened: the message reads right even after a rename.
    title = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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

    def __str__(self) -> str:
        return f"{self.task_id} after {self.delete_after:%Y-%m-%d %H:%M}"
