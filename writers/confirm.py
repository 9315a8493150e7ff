"""The confirm step of a destructive form, for browsers without JavaScript.

A form marked `data-confirm` asks in the page's dialog (static/js/confirm.js), which adds
`confirm=1` to what it sends. A post without it came from a browser that could not ask, so the
view answers with a small page that asks instead and posts the same fields back with `confirm=1`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Sent again by the page's own form; the CSRF token is rendered fresh.
NOT_CARRIED = {"csrfmiddlewaretoken", "confirm"}


def confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm") == "1"


def ask_first(request: HttpRequest, question: str, action: str, back: str) -> HttpResponse:
    """The page asking `question`: `action` (the button's words) posts again, `back` leaves."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in NOT_CARRIED
        for value in values
    ]
    context = {
        "question": question,
        "action": action,
        "target": request.get_full_path(),
        "fields": fields,
        "back": back,
    }
    return render(request, "confirm.html", context)
