"""GET and POST /account: profile and password."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_for_access_token
from conftest import PASSWORD


def signed_in(client: Client, user: User) -> str:
    access = issue_tokens(user)[0]
    client.cookies["access_token"] = access
    return access


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get("/account")["Location"] == "/login?next=/account"


def test_it_shows_the_profile(client: Client, alice: User) -> None:
    signed_in(client, alice)
    body = client.get("/account").content.decode()
    assert "alice@example.org" in body
    assert 'value="Alice Owner"' in body
    assert 'href="/account/integrations"' in body


def test_it_saves_the_profile(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post(
        "/account", {"action": "profile", "username": "alice2", "full_name": "Alice B"}
    )
    assert response["Location"] == "/account"
    alice.refresh_from_db()
    assert (alice.username, alice.full_name) == ("alice2", "Alice B")


def test_it_refuses_a_taken_username(client: Client, alice: User, bob: User) -> None:
    signed_in(client, alice)
    response = client.post("/account", {"action": "profile", "username": "bob", "full_name": ""})
    assert response.status_code == 400
    assert "This username is taken." in response.content.decode()


def test_it_changes_the_password_and_keeps_this_browser_signed_in(
    client: Client, alice: User
) -> None:
    old_access = signed_in(client, alice)
    response = client.post(
        "/account",
        {
            "action": "password",
            "current_password": PASSWORD,
            "new_password": "another fine passphrase",
            "new_password_confirm": "another fine passphrase",
        },
    )
    assert response["Location"] == "/account"
    alice.refresh_from_db()
    assert alice.check_password("another fine passphrase")
    assert user_for_access_token(old_access) is None
    assert user_for_access_token(response.cookies["access_token"].value) == alice


def test_it_checks_the_current_password_and_the_confirmation(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post(
        "/account",
        {
            "action": "password",
            "current_password": "wrong",
            "new_password": "another fine passphrase",
            "new_password_confirm": "something else entirely",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This is not your current password." in body
    assert "The two passwords differ." in body
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
