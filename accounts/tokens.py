"""All token code: issuing, reading and revoking JWTs, and the password reset links.

Every sign-in starts an AuthSession row; its JWTs carry the session id (`sid`) and every token
rotated from them carries the same one, so the row stands for the whole token family. Revocation
has four layers, each for one situation:

- A refresh token is blacklisted (simplejwt's `token_blacklist` tables) when it is rotated or its
  session logs out, so presenting it again is refused.
- Presenting a rotated refresh token again means two parties hold the session (one of them
  stole it), so the session row is revoked and every token of the family stops working. A reuse
  within REUSE_GRACE of the rotation is taken for two tabs refreshing at once and only refused.
  A session also ends SESSION_MAX_DAYS after its sign-in: rotation cannot extend it.
- Logging out revokes the session row of the tokens presented, so every token of that sign-in
  (the access token too, before it expires) is refused from the next request on, and the user's
  other sessions (devices) are left alone. It is the database's word, not the cache's: a logout
  during a Redis outage holds, and a request asks Redis nothing to know it (bench/LOAD.md).
- `User.token_version` is bumped to revoke every token of a user at once (password change or
  reset, "sign out everywhere"); each token carries the version it was issued under.

Every token is checked against the live user and session rows (one query), so a deactivated or
deleted user, or a revoked or expired session, is refused on the next request.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import AuthSession, User
from writers.prepared import prepared_cursor

logger = logging.getLogger(__name__)

VERSION_CLAIM = "ver"
SESSION_CLAIM = "sid"
# Two tabs whose access tokens expired together both send the same refresh cookie; the loser's
# request arrives moments after the winner's rotation and must not end the session.
REUSE_GRACE = timedelta(seconds=10)


def issue_tokens(user: User) -> tuple[str, str]:
    """Sign in: a new session and its first (access, refresh) pair."""
    now = timezone.now()
    # Sessions past their maximum age can never be used again; forget them as new ones start.
    AuthSession.objects.filter(user=user, created_at__lt=now - _session_max_age()).delete()
    session = AuthSession.objects.create(user=user, created_at=now)
    return _token_pair(user, session)


def revoke_all_tokens(user: User) -> None:
    """End every session of `user` on every device; saves the new token version itself."""
    user.end_sessions()


def user_for_access_token(raw: str) -> User | None:
    """The active user an access token belongs to, or None for any invalid token."""
    try:
        token = AccessToken(raw)
    except TokenError:
        return None
    session = _live_session(token.payload)
    return None if session is None else session.user


def rotate_refresh_token(raw: str) -> tuple[User, str, str]:
    """Spend a refresh token: blacklist it and return its user with a fresh (access, refresh).

    Raises TokenError when the token is invalid, expired, already spent (reuse, which revokes its
    whole session), or its user or session is gone, inactive, revoked or past SESSION_MAX_DAYS.
    Two requests racing with the same token get one new pair between them: the blacklist row is
    unique, and the loser is refused like a reuse within the grace period.
    """
    try:
        token = RefreshToken(raw)
    except TokenError:
        _revoke_session_of_reused_token(raw)
        raise
    session = _live_session(token.payload)
    if session is None:
        raise TokenError("Token session is not valid.")
    if not _blacklist(token):
        raise TokenError("Token is blacklisted")
    access, refresh = _token_pair(session.user, session)
    return session.user, access, refresh


def revoke_tokens(access: str | None, refresh: str | None) -> None:
    """Logout: end the session these tokens belong to and blacklist the refresh token.

    Invalid or already revoked tokens are ignored: there is nothing left to revoke.
    """
    sessions = []
    if refresh:
        with contextlib.suppress(TokenError):
            token = RefreshToken(refresh)
            _blacklist(token)
            sessions.append(token.get(SESSION_CLAIM))
    if access:
        with contextlib.suppress(TokenError):
            sessions.append(AccessToken(access).get(SESSION_CLAIM))
    ids = []
    for session in sessions:
        with contextlib.suppress(ValueError):
            ids.append(uuid.UUID(str(session)))
    if ids:
        AuthSession.objects.filter(pk__in=ids, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )


def make_reset_token(user: User) -> str:
    """One URL-safe path segment: the user id (hex) and Django's single-use reset token.

    Django's token hashes the password and last login, so it stops working once the password
    changes (single use) or after PASSWORD_RESET_TIMEOUT seconds.
    """
    return f"{user.pk.hex}-{default_token_generator.make_token(user)}"


def user_for_reset_token(token: str) -> User | None:
    """The active user a reset token was made for, or None if it is malformed, used or old."""
    user_hex, _, django_token = token.partition("-")
    try:
        user = User.objects.filter(pk=user_hex, is_active=True).first()
    except ValidationError:
        return None
    if user is None or not default_token_generator.check_token(user, django_token):
        return None
    return user


def _token_pair(user: User, session: AuthSession) -> tuple[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[VERSION_CLAIM] = user.token_version
    refresh[SESSION_CLAIM] = str(session.pk)
    access = refresh.access_token  # copies the claims above
    session_end = int((session.created_at + _session_max_age()).timestamp())
    for token in (refresh, access):
        token["exp"] = min(token["exp"], session_end)
    return str(access), str(refresh)


def _session_max_age() -> timedelta:
    return timedelta(days=settings.SESSION_MAX_DAYS)


def _live_session(payload: dict[str, Any]) -> AuthSession | None:
    """The session a token names, if it and its user are still good for this token.

    One statement, prepared per connection on PostgreSQL (writers.prepared): every
    authenticated request asks it, and Django built and compiled the ORM's query anew each
    time, 1.4-1.6 ms of the web's CPU (bench/LOAD.md)."""
    try:
        session_id = uuid.UUID(str(payload.get(SESSION_CLAIM)))
        user_id = uuid.UUID(str(payload.get("user_id")))
    except ValueError:
        # A malformed id (only a token signed with our key gets here) is a plain refusal.
        return None
    sql, columns = _live_session_statement(connection.alias)
    cutoff = timezone.now() - _session_max_age()
    params = [
        AuthSession._meta.pk.get_db_prep_value(session_id, connection),
        User._meta.pk.get_db_prep_value(user_id, connection),
        AuthSession._meta.get_field("created_at").get_db_prep_value(cutoff, connection),
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, converters) in zip(row, columns, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        values.append(value)
    split = len(AuthSession._meta.concrete_fields)
    session = AuthSession.from_db(connection.alias, _attnames(AuthSession), values[:split])
    session.user = User.from_db(connection.alias, _attnames(User), values[split:])
    if payload.get(VERSION_CLAIM) != session.user.token_version:
        return None
    return session


def _attnames(model: Any) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@functools.cache
def _live_session_statement(alias: str) -> tuple[str, list[tuple[Any, list[Any]]]]:
    """The statement, and each column it reads with the converters Django applies to it
    (none on PostgreSQL; SQLite's text UUIDs and timestamps)."""
    quote = connections[alias].ops.quote_name
    sessions, users = AuthSession._meta, User._meta
    columns = [field.get_col("s") for field in sessions.concrete_fields]
    columns += [field.get_col("u") for field in users.concrete_fields]

    def col(table: str, field: str) -> str:
        meta = sessions if table == "s" else users
        return f"{table}.{quote(meta.get_field(field).column)}"

    # Names from the models' options only; the values are bound.
    sql = (
        f"SELECT {', '.join(f'{c.alias}.{quote(c.target.column)}' for c in columns)}"  # noqa: S608
        f" FROM {quote(sessions.db_table)} s"
        f" JOIN {quote(users.db_table)} u ON {col('u', 'id')} = {col('s', 'user')}"
        f" WHERE {col('s', 'id')} = %s AND {col('s', 'user')} = %s AND {col('u', 'is_active')}"
        f" AND {col('s', 'revoked_at')} IS NULL AND {col('s', 'created_at')} > %s"
    )
    db = connections[alias]
    return sql, [
        (column, db.ops.get_db_converters(column) + column.get_db_converters(db))
        for column in columns
    ]


def _revoke_session_of_reused_token(raw: str) -> None:
    """A genuine refresh token that was rotated before REUSE_GRACE ago revokes its session."""
    try:
        payload = token_backend.decode(raw, verify=True)
    except TokenBackendError:
        return
    if payload.get("token_type") != "refresh":
        return
    spent_at: datetime | None = (
        BlacklistedToken.objects.filter(token__jti=payload.get("jti"))
        .values_list("blacklisted_at", flat=True)
        .first()
    )
    if spent_at is None or spent_at > timezone.now() - REUSE_GRACE:
        return
    with contextlib.suppress(ValidationError):
        revoked = AuthSession.objects.filter(
            pk=payload.get(SESSION_CLAIM), revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if revoked:
            logger.warning("Refresh token reused: session %s revoked", payload.get(SESSION_CLAIM))


def _blacklist(token: RefreshToken) -> bool:
    """True if this call blacklisted the token, False if it already was."""
    jti = token["jti"]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={
            "user": User.objects.filter(pk=token.get("user_id")).first(),
            "token": str(token),
            "created_at": token.current_time,
            "expires_at": datetime_from_epoch(token["exp"]),
        },
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        return False
    return True
