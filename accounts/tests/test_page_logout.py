"""POST /logout."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_for_access_token


def test_it_signs_out_and_revokes_the_token(client: Client, alice: User) -> None:
    access = issue_tokens(alice)[0]
    client.cookies["access_token"] = access
    response = client.post("/logout")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert response.cookies["access_token"].value == ""
    assert user_for_access_token(access) is None
    assert client.get("/dashboard")["Location"] == "/login?next=/dashboard"


def test_it_only_accepts_post(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    assert client.get("/logout").status_code == 405


def test_the_header_offers_it_to_signed_in_users(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    body = client.get("/dashboard").content.decode()
    assert 'action="/logout" method="post"' in body
