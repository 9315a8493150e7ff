"""Pages for integrations: API tokens, webhooks with their delivery log, notification and
retention preferences (/account/integrations) and the notification list (/notifications)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts import api_tokens
from accounts.decorators import login_required_page
from accounts.models import User
from tasks_app.integrations import notifications, webhooks
from tasks_app.integrations.models import Webhook, WebhookDelivery
from tasks_app.templatetags.writers import localdigits
from writers.confirm import ask_first, confirmed

DELIVERY_LOG_LIMIT = 30
NOTIFICATION_PAGE_LIMIT = 100


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Token name"), max_length=100)


class WebhookForm(forms.Form):
    url = forms.CharField(label=gettext_lazy("Webhook URL"), max_length=500)


class PreferencesForm(forms.ModelForm):
    audio_retention_days = forms.IntegerField(
        label=gettext_lazy("Delete audio after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=gettext_lazy("Transcripts stay. Leave empty to keep audio."),
    )

    class Meta:
        model = User
        fields = ["notify_by_email", "audio_retention_days"]
        labels = {"notify_by_email": gettext_lazy("Email me my notifications too")}


@login_required_page
@require_http_methods(["GET", "POST"])
def integrations_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if request.method == "POST" else None
    token_form = TokenForm(data if action == "create_token" else None)
    webhook_form = WebhookForm(data if action == "add_webhook" else None)
    preferences_form = PreferencesForm(data if action == "preferences" else None, instance=user)
    new_token = ""

    if action == "create_token" and token_form.is_valid():
        try:
            _token, new_token = api_tokens.create_api_token(user, token_form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(token_form, error)
        else:
            token_form = TokenForm()
    elif action == "revoke_token":
        token = api_tokens.active_tokens(user).filter(pk=_uuid_or_none(data)).first()
        if token is not None and not confirmed(request):
            question = _("Revoke the token “%(name)s”? Scripts using it stop working at once.") % {
                "name": token.name
            }
            return ask_first(request, question, _("Revoke"), reverse("integrations"))
        if token is not None and api_tokens.revoke_api_token(token):
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
        return redirect("integrations")
    elif action == "add_webhook" and webhook_form.is_valid():
        try:
            webhooks.create_webhook(user, webhook_form.cleaned_data["url"])
        except ValidationError as error:
            _add_errors(webhook_form, error)
        else:
            messages.success(request, _("Webhook added."))
            return redirect("integrations")
    elif action == "delete_webhook":
        webhook = Webhook.objects.filter(user=user, pk=_uuid_or_none(data)).first()
        if webhook is not None and not confirmed(request):
            question = _("Delete this webhook? Writers stops posting events to it.")
            return ask_first(request, question, _("Delete"), reverse("integrations") + "#webhooks")
        if webhook is not None:
            webhook.delete()
        return redirect("integrations")
    elif action == "test_webhook":
        webhook = Webhook.objects.filter(user=user, pk=_uuid_or_none(data)).first()
        if webhook is not None:
            _report_test(request, webhooks.send_test(webhook))
        return redirect(reverse("integrations") + "#webhooks")
    elif action == "preferences" and preferences_form.is_valid():
        preferences_form.save()
        messages.success(request, _("Preferences saved."))
        return redirect("integrations")

    failed = action is not None and not new_token
    context = {
        "token_form": token_form,
        "webhook_form": webhook_form,
        "preferences_form": preferences_form,
        "new_token": new_token,
        "tokens": api_tokens.active_tokens(user),
        "webhooks": Webhook.objects.filter(user=user),
        "deliveries": WebhookDelivery.objects.filter(webhook__user=user)
        .select_related("webhook")
        .order_by("-created_at")[:DELIVERY_LOG_LIMIT],
    }
    # A new token is shown once, on this answer itself: never cache it or redirect past it.
    response = render(
        request, "tasks_app/integrations/integrations.html", context, status=400 if failed else 200
    )
    response["Cache-Control"] = "no-store"
    return response


def _report_test(request: HttpRequest, delivery: WebhookDelivery) -> None:
    if delivery.status == WebhookDelivery.Status.SUCCEEDED:
        messages.success(
            request,
            _("Test delivery succeeded: the receiver answered HTTP %(status)s.")
            % {"status": localdigits(delivery.response_status)},
        )
    else:
        status = delivery.response_status
        reason = f"HTTP {localdigits(status)}" if status else delivery.error
        messages.error(request, _("Test delivery failed: %(reason)s.") % {"reason": reason})


def _uuid_or_none(data: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data.get("id", "")))
    except ValueError:
        return None


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for field, messages_ in error.message_dict.items():
        for text in messages_:
            form.add_error(field if field in form.fields else None, text)


@login_required_page
@require_http_methods(["GET", "POST"])
def notifications_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        notifications.mark_read(request.user)
        if not request.htmx:
            return redirect("notifications")
    latest = list(notifications.notifications_for(request.user)[:NOTIFICATION_PAGE_LIMIT])
    items = [
        {
            "notification": item,
            "message": notifications.message(item),
            "link": notifications.link(item),
        }
        for item in latest
    ]
    response = render(request, "tasks_app/integrations/notifications.html", {"items": items})
    if request.method == "POST":
        # Marked read in place: the header's badge refreshes itself on this event.
        response["HX-Trigger"] = "notifications-read"
    return response


@login_required_page
@require_GET
def webhook_secret(request: HttpRequest, webhook_id: uuid.UUID) -> HttpResponse:
    """A webhook's secret, for its owner only and only when asked ("Show secret"), so it is never
    in the integrations page's HTML. htmx gets the secret alone; without JavaScript, a page."""
    webhook = get_object_or_404(Webhook, user=request.user, pk=webhook_id)
    template = "_webhook_secret.html" if request.htmx else "webhook_secret.html"
    response = render(request, f"tasks_app/integrations/{template}", {"webhook": webhook})
    response["Cache-Control"] = "no-store"
    return response


@login_required_page
@require_GET
def notifications_badge(request: HttpRequest) -> HttpResponse:
    """The header's unread count, polled by the badge so it changes without a reload."""
    count = notifications.unread_count(request.user)
    return render(request, "tasks_app/integrations/_unread_badge.html", {"count": count})
