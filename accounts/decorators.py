from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

from accounts.middleware import can_resume_session
from accounts.services import refresh_redirect_url

View = Callable[..., HttpResponse]


def login_required_page(view: View) -> View:
    """Send anonymous visitors to /login?next=<page>.

    An HTMX request cannot follow a redirect with the whole page, so it gets 200 with
    `HX-Redirect` instead, pointing at the page the user is on (HX-Current-URL), not at the
    partial. If the browser still holds a refresh cookie the page goes through the refresh
    endpoint first and comes back signed in.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if not getattr(request, "htmx", False):
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        page = _current_page(request)
        if can_resume_session(request):
            return HttpResponseClientRedirect(refresh_redirect_url(page))
        return HttpResponseClientRedirect(redirect_to_login(page, settings.LOGIN_URL).url)

    return wrapper


def _current_page(request: HttpRequest) -> str:
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(current, allowed_hosts={request.get_host()}):
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.get_full_path()
