"""DRF authentication from `Authorization: Bearer` or the httpOnly access cookie."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, CSRFCheck, get_authorization_header
from rest_framework.request import Request

from accounts.api_tokens import looks_like_api_token, user_for_api_token
from accounts.models import ApiToken, User
from accounts.tokens import user_for_access_token

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
# The refresh cookie is only sent to /api/v1/auth/, so pages cannot see it. This cookie (no
# secret in it) tells the page middleware that a refresh cookie probably exists, so an expired
# page session is worth a detour through GET /api/v1/auth/refresh. See accounts/middleware.py.
REFRESH_HINT_COOKIE = "refresh_hint"
REFRESH_COOKIE_PATH = "/api/v1/auth/"


class JWTCookieOrBearerAuthentication(BaseAuthentication):
    """A JWT from the header or the cookie, or a personal API token (`wrt_…`) from the header.

    `request.auth` is the raw JWT, or the ApiToken row for an API token.
    """

    def authenticate(self, request: Request) -> tuple[User, str | ApiToken] | None:
        header = get_authorization_header(request).split()
        if header:
            if header[0].lower() != b"bearer" or len(header) != 2:
                raise exceptions.AuthenticationFailed("Malformed Authorization header.")
            raw = header[1].decode("latin-1")
            from_cookie = False
            if looks_like_api_token(raw):
                return self._api_token(raw)
        else:
            raw = request.COOKIES.get(ACCESS_COOKIE, "")
            from_cookie = True
            if not raw:
                return None
        user = user_for_access_token(raw)
        if user is None:
            raise exceptions.AuthenticationFailed(
                "Invalid or expired token.", code="token_not_valid"
            )
        if from_cookie:
            enforce_csrf(request)
        return user, raw

    def _api_token(self, raw: str) -> tuple[User, ApiToken]:
        found = user_for_api_token(raw)
        if found is None:
            raise exceptions.AuthenticationFailed(
                "Invalid or revoked API token.", code="token_not_valid"
            )
        return found

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def has_authorization_header(request: Request) -> bool:
    """A browser never adds an Authorization header on its own, so such requests need no CSRF."""
    return bool(get_authorization_header(request))


def enforce_csrf(request: Request) -> None:
    """A cookie is sent by the browser on its own, so cookie auth needs CSRF like a session."""

    def dummy_get_response(request: Any) -> None:
        return None

    check = CSRFCheck(dummy_get_response)
    check.process_request(request)
    reason = check.process_view(request, None, (), {})
    if reason:
        raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


class JWTCookieOrBearerScheme(OpenApiAuthenticationExtension):
    """Documents the two ways in for the OpenAPI schema: either one is enough."""

    target_class = JWTCookieOrBearerAuthentication
    name = ["bearerAuth", "cookieAuth"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, str]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT or personal API token (wrt_…)",
            },
            {"type": "apiKey", "in": "cookie", "name": ACCESS_COOKIE},
        ]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{"bearerAuth": []}, {"cookieAuth": []}]
