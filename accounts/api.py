"""The accounts API: /api/v1/auth/… for everyone, /api/v1/users… for staff.

Browser sessions live in httpOnly cookies (see services.set_token_cookies); scripts use the token
endpoints and `Authorization: Bearer`. Views here only translate HTTP to accounts.services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import TokenError

from accounts import api_tokens, services, tokens
from accounts.authentication import REFRESH_COOKIE, enforce_csrf, has_authorization_header
from accounts.models import User
from accounts.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenListSerializer,
    ApiTokenSerializer,
    CredentialsSerializer,
    CsrfSerializer,
    DetailSerializer,
    PasswordChangeSerializer,
    PasswordForgotSerializer,
    PasswordResetSerializer,
    ProfileSerializer,
    RefreshSerializer,
    RegisterSerializer,
    StaffUserSerializer,
    StaffUserUpdateSerializer,
    TokenPairSerializer,
    UserListSerializer,
    UserSerializer,
)
from accounts.throttles import PASSWORD_THROTTLES, SIGN_IN_THROTTLES, AuthIPThrottle
from writers.api import uuid_or_404
from writers.schema import CSRF_REFUSAL, ErrorSerializer

MAX_LIMIT = 100
# Views that check CSRF themselves (no authentication class does it for them) say so here.
CSRF_REFUSED = OpenApiResponse(ErrorSerializer, description=CSRF_REFUSAL)
# Reading users needs view_user or change_user (as in /admin/), changing change_user, deleting
# delete_user; superusers have them all.
USER_PERMISSIONS = {
    "GET": ("accounts.view_user", "accounts.change_user"),
    "PATCH": ("accounts.change_user",),
    "DELETE": ("accounts.delete_user",),
}
USERS_REFUSED = OpenApiResponse(
    ErrorSerializer, description="Staff with accounts.view_user (or change_user) only."
)
USERS_CHANGE_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "Staff with the accounts.change_user (PATCH) or accounts.delete_user (DELETE) permission"
        " only; staff accounts and staff access: superusers only. " + CSRF_REFUSAL
    ),
)


def _error(detail: str, code: str, http_status: int) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="api"'} if http_status == 401 else None
    return Response({"detail": detail, "code": code}, status=http_status, headers=headers)


def _invalid_credentials() -> Response:
    # One message whether the email is unknown, the password wrong or the account inactive.
    return _error(_("Invalid email or password."), "invalid_credentials", 401)


def _invalid_token() -> Response:
    return _error(_("Invalid or expired token."), "token_not_valid", 401)


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _field_errors(error: DjangoValidationError, field: str) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(error.message_dict)
    return serializers.ValidationError({field: error.messages})


def _login_csrf(request: Request) -> None:
    """Login CSRF: without it another site could sign a visitor in to the attacker's account."""
    if not has_authorization_header(request):
        enforce_csrf(request)


@extend_schema(responses=CsrfSerializer, summary="Set the csrftoken cookie and return its value")
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def csrf(request: Request) -> Response:
    return Response({"csrfToken": get_token(request._request)})


@extend_schema(request=RegisterSerializer, responses={201: UserSerializer, 403: CSRF_REFUSED})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes(PASSWORD_THROTTLES)
def register(request: Request) -> Response:
    _login_csrf(request)
    data = _validated(RegisterSerializer, request)
    try:
        user = services.register_user(**data)
    except DjangoValidationError as error:
        raise _field_errors(error, "email") from error
    response = Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)
    services.set_auth_cookies(response, user)
    return response


@extend_schema(
    request=CredentialsSerializer,
    responses={200: UserSerializer, 401: ErrorSerializer, 403: CSRF_REFUSED},
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes(SIGN_IN_THROTTLES)
def login(request: Request) -> Response:
    _login_csrf(request)
    data = _validated(CredentialsSerializer, request)
    user = services.authenticate_credentials(data["email"], data["password"], request._request)
    if user is None:
        return _invalid_credentials()
    response = Response(UserSerializer(user).data)
    services.set_auth_cookies(response, user)
    return response


@extend_schema(request=None, responses={204: None, 403: CSRF_REFUSED})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def logout(request: Request) -> Response:
    """Works with an expired access token too: whatever the request carries is revoked."""
    _login_csrf(request)
    response = Response(status=status.HTTP_204_NO_CONTENT)
    services.logout(request._request, response)
    return response


@extend_schema(
    request=None,
    responses={204: None},
    summary="Sign out everywhere: end every session and personal API token of the caller",
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def revoke(request: Request) -> Response:
    """Ends this session too, and clears its cookies; a script's API token stops working."""
    response = Response(status=status.HTTP_204_NO_CONTENT)
    services.end_all_access(request.user)
    services.clear_auth_cookies(response)
    return response


@extend_schema(
    methods=["POST"],
    request=None,
    responses={200: UserSerializer, 401: ErrorSerializer, 403: CSRF_REFUSED},
    summary="Rotate the session cookies (needs X-CSRFToken)",
)
@extend_schema(
    methods=["GET"],
    parameters=[OpenApiParameter("next", str, description="Page to return to")],
    responses={302: None},
    summary="Browser detour for pages: rotate the session cookies and go back to `next`",
)
@api_view(["GET", "POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def refresh(request: Request) -> Response | HttpResponseRedirect:
    """Rotate the refresh cookie: the old one is blacklisted, reusing it answers 401.

    A failed POST leaves the cookies alone: when two tabs refresh at once the loser must not wipe
    the cookies the winner just set. The GET detour clears them on failure, or the page would
    send the browser round again.
    """
    if request.method == "GET":
        return _refresh_and_go_back(request)
    enforce_csrf(request)
    try:
        user, access, refresh_token = tokens.rotate_refresh_token(
            request.COOKIES.get(REFRESH_COOKIE, "")
        )
    except TokenError:
        return _invalid_token()
    response = Response(UserSerializer(user).data)
    services.set_token_cookies(response, access, refresh_token)
    return response


def _refresh_and_go_back(request: Request) -> HttpResponseRedirect:
    next_url = request.query_params.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    try:
        _user, access, refresh_token = tokens.rotate_refresh_token(
            request.COOKIES.get(REFRESH_COOKIE, "")
        )
    except TokenError:
        services.clear_auth_cookies(response)
        return response
    services.set_token_cookies(response, access, refresh_token)
    return response


@extend_schema(methods=["GET"], responses=UserSerializer)
@extend_schema(methods=["PATCH"], request=ProfileSerializer, responses=UserSerializer)
@api_view(["GET", "PATCH"])
@permission_classes([IsAuthenticated])
def me(request: Request) -> Response:
    user = request.user
    if request.method == "PATCH":
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            services.update_profile(user, **serializer.validated_data)
        except DjangoValidationError as error:
            raise _field_errors(error, "username") from error
    return Response(UserSerializer(user).data)


@extend_schema(request=PasswordChangeSerializer, responses=DetailSerializer)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def password_change(request: Request) -> Response:
    """Revokes every token of the user, then signs this session in again with fresh cookies."""
    data = _validated(PasswordChangeSerializer, request)
    user = request.user
    if not user.check_password(data["current_password"]):
        raise serializers.ValidationError(
            {"current_password": [_("The current password is not correct.")]},
            code="wrong_password",
        )
    try:
        services.change_password(user, data["new_password"])
    except DjangoValidationError as error:
        raise _field_errors(error, "new_password") from error
    response = Response({"detail": _("Password changed."), "code": "password_changed"})
    services.set_auth_cookies(response, user)
    return response


@extend_schema(request=PasswordForgotSerializer, responses={202: DetailSerializer})
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes(SIGN_IN_THROTTLES)
def password_forgot(request: Request) -> Response:
    """Always 202, so the answer does not tell whether the email has an account."""
    data = _validated(PasswordForgotSerializer, request)
    services.send_password_reset(data["email"])
    return Response(
        {
            "detail": _("If an account uses this email, a reset link is on its way."),
            "code": "reset_sent",
        },
        status=status.HTTP_202_ACCEPTED,
    )


@extend_schema(request=PasswordResetSerializer, responses=DetailSerializer)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([AuthIPThrottle])
def password_reset(request: Request) -> Response:
    data = _validated(PasswordResetSerializer, request)
    try:
        services.reset_password(data["token"], data["new_password"])
    except DjangoValidationError as error:
        if error.error_list[0].code == "invalid_token":
            return _error(error.messages[0], "invalid_token", 400)
        raise _field_errors(error, "new_password") from error
    return Response({"detail": _("Password changed. Sign in with it."), "code": "password_reset"})


@extend_schema(
    request=CredentialsSerializer, responses={200: TokenPairSerializer, 401: ErrorSerializer}
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes(SIGN_IN_THROTTLES)
def token(request: Request) -> Response:
    """For scripts: tokens in the body, no cookies and no CSRF token."""
    data = _validated(CredentialsSerializer, request)
    user = services.authenticate_credentials(data["email"], data["password"], request._request)
    if user is None:
        return _invalid_credentials()
    access, refresh_token = tokens.issue_tokens(user)
    return Response({"access": access, "refresh": refresh_token})


@extend_schema(
    request=RefreshSerializer, responses={200: TokenPairSerializer, 401: ErrorSerializer}
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([AuthIPThrottle])
def token_refresh(request: Request) -> Response:
    data = _validated(RefreshSerializer, request)
    try:
        _user, access, refresh_token = tokens.rotate_refresh_token(data["refresh"])
    except TokenError:
        return _invalid_token()
    return Response({"access": access, "refresh": refresh_token})


@extend_schema(
    parameters=[
        OpenApiParameter("skip", int, description="Rows to skip (default 0)"),
        OpenApiParameter("limit", int, description=f"Rows to return (1–{MAX_LIMIT})"),
        OpenApiParameter("q", str, description="Search in email, username and full name"),
    ],
    responses={200: UserListSerializer, 400: ErrorSerializer, 403: USERS_REFUSED},
    operation_id="users_list",
)
@api_view(["GET"])
@permission_classes([IsAdminUser])
def user_list(request: Request) -> Response:
    if refusal := _lacks_user_permission(request):
        return refusal
    skip = _int_param(request, "skip", 0, minimum=0)
    limit = min(_int_param(request, "limit", MAX_LIMIT, minimum=1), MAX_LIMIT)
    users = User.objects.all()
    if q := request.query_params.get("q", "").strip():
        users = users.filter(
            Q(email__icontains=q) | Q(username__icontains=q) | Q(full_name__icontains=q)
        )
    page = users.order_by("email")[skip : skip + limit]
    return Response({"users": StaffUserSerializer(page, many=True).data, "total": users.count()})


def _lacks_user_permission(request: Request) -> Response | None:
    """The users API asks of staff what /admin/ asks: Django's model permissions on users."""
    needed = USER_PERMISSIONS.get(request.method or "GET", USER_PERMISSIONS["GET"])
    if any(request.user.has_perm(permission) for permission in needed):
        return None
    return _error(
        _("You need the %(permission)s permission.") % {"permission": needed[0]},
        "permission_denied",
        403,
    )


def _int_param(request: Request, name: str, default: int, *, minimum: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise serializers.ValidationError({name: [_("Use a whole number ≥ %d.") % minimum]})
    return value


@extend_schema(
    methods=["GET"],
    responses={200: StaffUserSerializer, 403: USERS_REFUSED},
    operation_id="users_retrieve",
)
@extend_schema(
    methods=["PATCH"],
    request=StaffUserUpdateSerializer,
    responses={200: StaffUserSerializer, 403: USERS_CHANGE_REFUSED},
)
@extend_schema(methods=["DELETE"], responses={204: None, 403: USERS_CHANGE_REFUSED})
@api_view(["GET", "PATCH", "DELETE"])
@permission_classes([IsAdminUser])
def user_detail(request: Request, user_id: Any) -> Response:
    """DELETE removes the account and its task rows at once; their stored files become orphans
    that `manage.py purge_deleted` removes on its next run (tasks_app.services.purge_deleted)."""
    if refusal := _lacks_user_permission(request):
        return refusal
    user = get_object_or_404(User, pk=user_id)
    if request.method == "GET":
        return Response(StaffUserSerializer(user).data)
    if not request.user.may_manage(user):
        return _error(_("Only a superuser may change a staff account."), "superuser_only", 403)
    if request.method == "DELETE":
        if user == request.user:
            return _error(_("You cannot delete your own account here."), "cannot_change_self", 400)
        user.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
    serializer = StaffUserUpdateSerializer(data=request.data, partial=True)
    serializer.is_valid(raise_exception=True)
    changes = serializer.validated_data
    # Staff cannot lock themselves out; another staff member has to do it.
    if user == request.user and (changes.get("is_active") is False or "is_staff" in changes):
        return _error(_("You cannot remove your own access."), "cannot_change_self", 400)
    if "is_staff" in changes and not request.user.is_superuser:
        message = _("Only a superuser may grant or remove staff access.")
        return _error(message, "superuser_only", 403)
    try:
        services.update_profile(user, **changes)
    except DjangoValidationError as error:
        raise _field_errors(error, "email") from error
    return Response(StaffUserSerializer(user).data)


@extend_schema(methods=["GET"], responses=ApiTokenListSerializer, operation_id="api_tokens_list")
@extend_schema(
    methods=["POST"],
    request=ApiTokenCreateSerializer,
    responses={201: ApiTokenCreatedSerializer},
    operation_id="api_tokens_create",
)
@api_view(["GET", "POST"])
def api_token_list(request: Request) -> Response:
    if request.method == "GET":
        tokens = api_tokens.active_tokens(request.user)
        return Response({"tokens": ApiTokenSerializer(tokens, many=True).data})
    data = _validated(ApiTokenCreateSerializer, request)
    try:
        token, raw = api_tokens.create_api_token(request.user, data["name"])
    except DjangoValidationError as error:
        raise serializers.ValidationError(error.message_dict) from error
    return Response(
        {"id": str(token.pk), "name": token.name, "token": raw}, status=status.HTTP_201_CREATED
    )


@extend_schema(responses={204: None}, operation_id="api_tokens_revoke")
@api_view(["DELETE"])
def api_token_detail(request: Request, token_id: str) -> Response:
    token = get_object_or_404(api_tokens.active_tokens(request.user), pk=uuid_or_404(token_id))
    api_tokens.revoke_api_token(token)
    return Response(status=status.HTTP_204_NO_CONTENT)
