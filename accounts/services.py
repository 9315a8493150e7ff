"""Account workflows shared by the pages (accounts/views.py) and the API (accounts/api.py).

Validation errors are raised as django.core.exceptions.ValidationError with stable codes:
`register_user` and `update_profile` raise one keyed by field (email, username, password,
full_name), `change_password` and `reset_password` raise a plain one about the new password,
except an unusable reset link, which has the code "invalid_token".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts import api_tokens, throttles, tokens
from accounts.authentication import (
    ACCESS_COOKIE,
    REFRESH_COOKIE,
    REFRESH_COOKIE_PATH,
    REFRESH_HINT_COOKIE,
)
from accounts.models import User

REFRESH_URL = REFRESH_COOKIE_PATH + "refresh"


def register_user(*, email: str, username: str, password: str, full_name: str = "") -> User:
    """Create an account after checking every field like the register form and API do."""
    email = User.objects.normalize_email(email.strip()).lower()
    username = username.strip()
    full_name = full_name.strip()
    errors: dict[str, list[ValidationError]] = {}
    _collect(errors, "email", _check_email, email, None)
    _collect(errors, "username", _check_username, username, None)
    _collect(errors, "full_name", _check_full_name, full_name)
    candidate = User(email=email, username=username, full_name=full_name)
    _collect(errors, "password", validate_password, password, candidate)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, username=username, password=password, full_name=full_name
            )
    except IntegrityError as error:
        # Another request registered the same email or username since the checks above.
        taken = ValidationError(_("An account with this email already exists."), "email_taken")
        raise ValidationError({"email": taken}) from error


def update_profile(user: User, **fields: Any) -> User:
    """Change any of email, username, full_name, is_active, is_staff (only those given)."""
    errors: dict[str, list[ValidationError]] = {}
    if "email" in fields:
        fields["email"] = User.objects.normalize_email(fields["email"].strip()).lower()
        _collect(errors, "email", _check_email, fields["email"], user)
    if "username" in fields:
        fields["username"] = fields["username"].strip()
        _collect(errors, "username", _check_username, fields["username"], user)
    if "full_name" in fields:
        fields["full_name"] = fields["full_name"].strip()
        _collect(errors, "full_name", _check_full_name, fields["full_name"])
    unknown = set(fields) - {"email", "username", "full_name", "is_active", "is_staff"}
    if unknown:
        raise ValueError(f"update_profile cannot change {sorted(unknown)}")
    if errors:
        raise ValidationError(errors)
    for name, value in fields.items():
        setattr(user, name, value)
    if fields:
        try:
            with transaction.atomic():
                user.save(update_fields=[*fields, "updated_at"])
        except IntegrityError as error:
            # Another request took the email or username since the checks above.
            field = "email" if "email" in fields else "username"
            taken = ValidationError(_("This is already taken."), f"{field}_taken")
            raise ValidationError({field: taken}) from error
    return user


def authenticate_credentials(email: str, password: str, request: HttpRequest) -> User | None:
    """The active user with this email and password, or None; records the login, and the
    outcome for the per-account rate limit (accounts.throttles).

    Django's ModelBackend hashes the password even for an unknown email, so the answer takes as
    long either way and does not reveal which accounts exist.
    """
    user = authenticate(email=email.strip(), password=password)
    if user is None:
        throttles.record_failure(email)
        return None
    throttles.remember_sign_in(request, email)
    update_last_login(None, user)
    return user


def set_auth_cookies(response: HttpResponseBase, user: User) -> None:
    """Start a fresh session for `user` on `response` (login, register, password change)."""
    access, refresh = tokens.issue_tokens(user)
    set_token_cookies(response, access, refresh)


def set_token_cookies(response: HttpResponseBase, access: str, refresh: str) -> None:
    access_age = settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60
    refresh_age = settings.REFRESH_TOKEN_EXPIRE_DAYS * 86400
    common: dict[str, Any] = {
        "secure": settings.AUTH_COOKIE_SECURE,
        "httponly": True,
        "samesite": "Lax",
    }
    response.set_cookie(ACCESS_COOKIE, access, max_age=access_age, path="/", **common)
    response.set_cookie(
        REFRESH_COOKIE, refresh, max_age=refresh_age, path=REFRESH_COOKIE_PATH, **common
    )
    response.set_cookie(REFRESH_HINT_COOKIE, "1", max_age=refresh_age, path="/", **common)


def clear_auth_cookies(response: HttpResponseBase) -> None:
    response.delete_cookie(ACCESS_COOKIE, path="/", samesite="Lax")
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, samesite="Lax")
    response.delete_cookie(REFRESH_HINT_COOKIE, path="/", samesite="Lax")


def logout(request: HttpRequest, response: HttpResponseBase) -> None:
    """Revoke the tokens this request carries (cookies or Bearer) and clear the cookies."""
    access = request.COOKIES.get(ACCESS_COOKIE)
    scheme, _space, bearer = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and bearer:
        access = bearer.strip()
    tokens.revoke_tokens(access, request.COOKIES.get(REFRESH_COOKIE))
    clear_auth_cookies(response)


def refresh_redirect_url(next_url: str) -> str:
    """Where a page sends a browser whose access cookie expired: the refresh cookie lives there."""
    return f"{REFRESH_URL}?{urlencode({'next': next_url})}"


def change_password(user: User, new_password: str) -> None:
    """Set a new password and revoke every JWT issued before (User.save); the caller checks the
    old password and calls set_auth_cookies to keep the current session signed in. Personal API
    tokens stay: the owner proved the old password, and "sign out everywhere" ends them."""
    validate_password(new_password, user)
    user.set_own_password(new_password)
    user.save(update_fields=["password", "updated_at"])


def end_all_access(user: User) -> None:
    """Sign `user` out everywhere: every session (JWT) and every personal API token.

    Used by "sign out everywhere"; a new password saved by anyone but its owner (a reset, staff,
    `manage.py changepassword`) does the same in User.save, where whoever had access before must
    not keep it.
    """
    tokens.revoke_all_tokens(user)
    api_tokens.revoke_all_api_tokens(user)


def send_password_reset(email: str) -> None:
    """Mail a single-use reset link if an active account has this email; silent otherwise so
    the answer never tells who has an account.

    The link is built from SITE_URL, never from the request's Host header, which the sender of
    the request chooses. Every request counts as a failure for the per-account rate limit, so
    mail to one address cannot be flooded from many addresses."""
    throttles.record_failure(email)
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    path = reverse("reset_password", args=[tokens.make_reset_token(user)])
    link = settings.SITE_URL.rstrip("/") + path
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    body = _(
        "Someone asked to reset the password of your Writers account %(email)s.\n\n"
        "Open this link to choose a new password (it works once, for %(hours)s hour(s)):\n"
        "%(link)s\n\n"
        "If it was not you, ignore this mail: your password stays as it is."
    ) % {"email": user.email, "hours": hours, "link": link}
    send_mail(_("Reset your Writers password"), body, None, [user.email])


def reset_password(token: str, new_password: str) -> User:
    """Use a reset link: set the new password, which ends every session and API token
    (User.save), since whoever knew the old password may have made either."""
    user = tokens.user_for_reset_token(token)
    if user is None:
        raise ValidationError(
            _("This password reset link is invalid or has already been used."),
            code="invalid_token",
        )
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user


def _collect(errors: dict[str, list[ValidationError]], field: str, check: Any, *args: Any) -> None:
    try:
        check(*args)
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.error_list)


def _check_email(email: str, user: User | None) -> None:
    validate_email(email)
    taken = User.objects.filter(email__iexact=email)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError(_("An account with this email already exists."), code="email_taken")


def _check_username(username: str, user: User | None) -> None:
    if not username:
        raise ValidationError(_("Choose a username."), code="required")
    if len(username) > 150:
        raise ValidationError(_("Use at most 150 characters."), code="max_length")
    UnicodeUsernameValidator()(username)
    taken = User.objects.filter(username__iexact=username)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise ValidationError(_("This username is taken."), code="username_taken")


def _check_full_name(full_name: str) -> None:
    if len(full_name) > 255:
        raise ValidationError(_("Use at most 255 characters."), code="max_length")
