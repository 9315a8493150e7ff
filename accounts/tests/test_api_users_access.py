"""Every staff users route, read from the URLconf so a new one is covered the day it is added:
a user who is not staff gets 403 and changes nothing, an anonymous client 401."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import users_api_urls
from accounts.models import User
from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

METHODS = ("get", "post", "put", "patch", "delete")
ROUTES = [
    (pattern.name, method, "user_id" in pattern.pattern.converters)
    for pattern in users_api_urls.urlpatterns
    for method in METHODS
    if hasattr(pattern.callback.cls, method)
]


def test_it_enumerates_every_route():
    assert {(name, method) for name, method, _per_user in ROUTES} == {
        ("api-user-list", "get"),
        ("api-user-detail", "get"),
        ("api-user-detail", "patch"),
        ("api-user-detail", "delete"),
    }


def call(client, name: str, method: str, per_user: bool, user: User):
    url = reverse(name, args=[user.pk] if per_user else [])
    return getattr(client, method)(url, {"is_active": False, "is_staff": True}, format="json")


@pytest.mark.parametrize(("name", "method", "per_user"), ROUTES)
def test_it_forbids_a_user_who_is_not_staff(script, charlie, alice, name, method, per_user):
    script.credentials(**bearer(issue_tokens(charlie)[0]))
    assert call(script, name, method, per_user, alice).status_code == 403
    alice.refresh_from_db()
    assert alice.is_active and not alice.is_staff


@pytest.mark.parametrize(("name", "method", "per_user"), ROUTES)
def test_it_asks_anonymous_to_authenticate(script, alice, name, method, per_user):
    response = call(script, name, method, per_user, alice)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
