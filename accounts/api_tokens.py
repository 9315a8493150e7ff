"""Personal API tokens: long-lived `wrt_…` secrets that scripts send as `Authorization: Bearer`.

A token is shown once, when it is created; the database keeps only its SHA-256. Revoking sets
`revoked_at` (the row stays, so the admin and the owner can see what existed and when it was
last used).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User

TOKEN_PREFIX = "wrt_"  # noqa: S105 (a marker, not a secret)
NAME_MAX_CHARS = 100
MAX_TOKENS_PER_USER = 50
# Writing last_used_at on every request would turn every API read into a write; once a minute is
# precise enough to tell an unused token from a used one.
LAST_USED_PRECISION = timedelta(minutes=1)


def looks_like_api_token(raw: str) -> bool:
    return raw.startswith(TOKEN_PREFIX)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret, which is never available again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ValidationError(_("Give the token a name."), "required")})
    if len(name) > NAME_MAX_CHARS:
        raise ValidationError({"name": ValidationError(_("At most 100 characters."), "max_length")})
    if active_tokens(user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            {"name": ValidationError(_("Revoke a token before creating another."), "too_many")}
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[: len(TOKEN_PREFIX) + 6], token_hash=hash_token(raw)
    )
    return token, raw


def active_tokens(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


def revoke_api_token(token: ApiToken) -> bool:
    """False when it was already revoked."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    return revoked == 1


def revoke_all_api_tokens(user: User) -> int:
    """How many live tokens of `user` this revoked."""
    return user.revoke_api_tokens()


def user_for_api_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active owner of a live token, recording when it was used; None for anything else."""
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token.user, token
