"""GET / sends each visitor where they belong."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens


def test_it_sends_anonymous_visitors_to_login(client: Client, db: None) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/login"


def test_it_sends_signed_in_users_to_the_dashboard(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
