"""Page requests are authenticated from the same access cookie the API reads."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.authentication import ACCESS_COOKIE
from accounts.tokens import user_for_access_token


class JWTCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.COOKIES.get(ACCESS_COOKIE)
        if raw and not request.user.is_authenticated:
            user = user_for_access_token(raw)
            if user is not None:
                request.user = user
        return self.get_response(request)
