"""Account pages: login, register, logout, profile and password, forgotten password."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.parsers import FormParser
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts import services
from accounts.decorators import login_required_page
from accounts.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from accounts.throttles import PASSWORD_THROTTLES, SIGN_IN_THROTTLES
from writers.confirm import ask_first, confirmed

View = Callable[..., HttpResponse]


def anonymous_only(view: View) -> View:
    """Signed-in users have no business on /login or /register: send them to the dashboard."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return view(request, *args, **kwargs)

    return wrapper


def _throttled(request: HttpRequest, throttles: list[type[BaseThrottle]]) -> float | None:
    """The API's login limits apply to the pages too, or the pages would be the way around them.

    Returns the seconds to wait when the request is over a limit.
    """
    drf_request = Request(request, parsers=[FormParser()])
    for throttle_class in throttles:
        throttle = throttle_class()
        if not throttle.allow_request(drf_request, None):
            return throttle.wait() or 60.0
    return None


def _too_many(
    request: HttpRequest, template: str, context: dict[str, Any], wait: float
) -> HttpResponse:
    context["form"].add_error(
        None,
        _("Too many attempts. Try again in %(seconds)d seconds.") % {"seconds": int(wait) + 1},
    )
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(int(wait) + 1)
    return response


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@anonymous_only
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    context = {"form": form, "next": _next_url(request)}
    if request.method != "POST":
        return render(request, "accounts/login.html", context)
    if (wait := _throttled(request, SIGN_IN_THROTTLES)) is not None:
        return _too_many(request, "accounts/login.html", context, wait)
    if form.is_valid():
        user = services.authenticate_credentials(
            form.cleaned_data["email"], form.cleaned_data["password"], request
        )
        if user is not None:
            response = redirect(context["next"])
            services.set_auth_cookies(response, user)
            return response
        # One message for every failure, so the page never tells which accounts exist.
        form.refuse(_("The email or password is not right."))
    return render(request, "accounts/login.html", context, status=400)


@anonymous_only
@require_http_methods(["GET", "POST"])
def register_page(request: HttpRequest) -> HttpResponse:
    form = RegisterForm(request.POST or None)
    context = {"form": form}
    if request.method != "POST":
        return render(request, "accounts/register.html", context)
    if (wait := _throttled(request, PASSWORD_THROTTLES)) is not None:
        return _too_many(request, "accounts/register.html", context, wait)
    if form.is_valid():
        try:
            user = services.register_user(**form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Welcome to Writers! Upload a recording to begin."))
            response = redirect(settings.LOGIN_REDIRECT_URL)
            services.set_auth_cookies(response, user)
            return response
    return render(request, "accounts/register.html", context, status=400)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    response = redirect(settings.LOGIN_URL)
    services.logout(request, response)
    return response


@login_required_page
@require_http_methods(["GET", "POST"])
def account_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    profile_form = ProfileForm.for_user(user, request.POST if action == "profile" else None)
    password_form = PasswordChangeForm(request.POST if action == "password" else None, user=user)

    if action == "sign_out_everywhere" and not confirmed(request):
        question = _("Sign out on every device and revoke all your personal API tokens?")
        return ask_first(request, question, _("Sign out everywhere"), reverse("account"))
    if action == "sign_out_everywhere":
        services.end_all_access(user)
        messages.success(request, _("You were signed out everywhere. Sign in again."))
        response = redirect(settings.LOGIN_URL)
        services.clear_auth_cookies(response)
        return response
    if action == "profile" and profile_form.is_valid():
        try:
            services.update_profile(user, **profile_form.cleaned_data)
        except ValidationError as error:
            profile_form.add_service_error(error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("account")
    if action == "password" and password_form.is_valid():
        try:
            services.change_password(user, password_form.cleaned_data["new_password"])
        except ValidationError as error:
            password_form.add_service_error(error, "new_password")
        else:
            messages.success(request, _("Password changed. Other devices have been signed out."))
            response = redirect("account")
            # Every older token was revoked; this browser stays signed in with fresh ones.
            services.set_auth_cookies(response, user)
            return response

    status = 400 if action else 200
    context = {"profile_form": profile_form, "password_form": password_form}
    return render(request, "accounts/account.html", context, status=status)


@require_http_methods(["GET", "POST"])
def forgot_password_page(request: HttpRequest) -> HttpResponse:
    form = ForgotPasswordForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "sent": False}
    if request.method == "POST":
        if (wait := _throttled(request, SIGN_IN_THROTTLES)) is not None:
            return _too_many(request, "accounts/forgot_password.html", context, wait)
        if form.is_valid():
            services.send_password_reset(form.cleaned_data["email"])
            # The same answer whether or not the address has an account.
            context["sent"] = True
        else:
            return render(request, "accounts/forgot_password.html", context, status=400)
    return render(request, "accounts/forgot_password.html", context)


@require_http_methods(["GET", "POST"])
def reset_password_page(request: HttpRequest, token: str) -> HttpResponse:
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(token, form.cleaned_data["new_password"])
        except ValidationError as error:
            invalid_link = getattr(error, "code", None) == "invalid_token"
            form.add_service_error(error, None if invalid_link else "new_password")
        else:
            messages.success(request, _("Your password was changed. Log in with the new one."))
            return redirect(settings.LOGIN_URL)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/reset_password.html", {"form": form}, status=status)
