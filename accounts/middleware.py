"""Page requests are authenticated from the same access cookie the API reads.

The refresh cookie is sent only to /api/v1/auth/ (as the API contract asks: a page handler never
sees the long-lived credential), so this middleware cannot rotate it in place. When a page
navigation arrives without a valid access token but with the refresh hint cookie, it redirects
once through `GET /api/v1/auth/refresh?next=<page>`, which rotates the tokens, sets the new
cookies and comes straight back; if the refresh token is no good that endpoint clears every auth
cookie and comes back anonymous, so the detour cannot loop. HTMX requests are left to
`accounts.decorators.login_required_page`, which sends the whole page on the same detour.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.deprecation import MiddlewareMixin

from accounts.authentication import ACCESS_COOKIE, REFRESH_HINT_COOKIE
from accounts.services import refresh_redirect_url
from accounts.tokens import user_for_access_token


class JWTCookieMiddleware(MiddlewareMixin):
    # MiddlewareMixin also runs it in the web's async middleware chain (writers/asgi.py).
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # DRF authenticates API requests itself (with CSRF rules of its own).
        if request.path_info.startswith("/api/"):
            return None
        raw = request.COOKIES.get(ACCESS_COOKIE)
        user = user_for_access_token(raw) if raw else None
        if user is not None:
            request.user = user
        elif can_resume_session(request) and not request.headers.get("HX-Request"):
            return HttpResponseRedirect(refresh_redirect_url(request.get_full_path()))
        return None


def can_resume_session(request: HttpRequest) -> bool:
    """A safe request from a browser that still holds a refresh cookie, by the hint cookie."""
    return request.method in ("GET", "HEAD") and bool(request.COOKIES.get(REFRESH_HINT_COOKIE))
