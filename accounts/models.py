from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models, transaction
from django.db.models import F
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

    # Set by `set_own_password` and `set_unusable_password`, read and cleared by `save`.
    _keeps_api_tokens = False
    _password_disabled = False

    def set_own_password(self, raw_password: str | None) -> None:
        """`set_password` for the owner's own change, made knowing the old password: saving it
        ends every session but keeps the owner's personal API tokens, so scripts keep working."""
        self.set_password(raw_password)
        self._keeps_api_tokens = True

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_disabled = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saving a new password (set_password, set_unusable_password: `manage.py
        changepassword`, the admin, a reset, a shell) ends every session of the user and revokes
        every personal API token, whoever saves it; see `set_own_password` for the exception.
        A hash upgraded at sign-in is not a change (Django's check_password clears `_password`
        for it), nor is a hash assigned to `password` directly."""
        self.email = self.email.strip().lower()
        update_fields = kwargs.get("update_fields")
        password_changed = (
            not self._state.adding
            and (update_fields is None or "password" in update_fields)
            and (self._password is not None or self._password_disabled)
        )
        keeps_api_tokens = self._keeps_api_tokens
        self._keeps_api_tokens = self._password_disabled = False
        if not password_changed:
            super().save(*args, **kwargs)
            return
        with transaction.atomic():
            super().save(*args, **kwargs)
            self.end_sessions()
            if not keeps_api_tokens:
                self.revoke_api_tokens()

    def end_sessions(self) -> None:
        """End every session (JWT) of this user on every device; saves the token version."""
        type(self).objects.filter(pk=self.pk).update(token_version=F("token_version") + 1)
        self.refresh_from_db(fields=["token_version"])
        self.auth_sessions.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())

    def revoke_api_tokens(self) -> int:
        """Revoke every live personal API token of this user; how many there were."""
        return self.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


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
