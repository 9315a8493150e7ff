from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


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

    def may_manage(self, other: User) -> bool:
        """Whether this staff member may change or delete `other` (given the model permission).

        Whoever changes an account can set its password and then act with its rights, so staff
        accounts are changed by superusers only (or by their owner).
        """
        return self.is_superuser or other == self or not (other.is_staff or other.is_superuser)

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


class AuthSession(models.Model):
    """One sign-in and every refresh token rotated from it (a token family).

    Every JWT names its session (`sid`). Revoking the row ends all of them at once: a spent
    refresh token presented again means two parties hold the session, so the whole family goes.
    A session also ends SESSION_MAX_DAYS after `created_at`, however often it was rotated.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_sessions")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"
