"""GET and POST /account: profile and password."""

from __future__ import annotations

from django.test import Client

from accounts.api_tokens import create_api_token, user_for_api_token
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


def test_sign_out_everywhere_ends_every_session_and_api_token(client: Client, alice: User) -> None:
    access = signed_in(client, alice)
    other_access, _refresh = issue_tokens(alice)
    _token, raw = create_api_token(alice, "laptop")
    assert 'value="sign_out_everywhere"' in client.get("/account").content.decode()

    response = client.post("/account", {"action": "sign_out_everywhere", "confirm": "1"})

    assert response["Location"] == "/login"
    assert response.cookies["access_token"].value == ""
    for token in (access, other_access):
        assert user_for_access_token(token) is None
    assert user_for_api_token(raw) is None


def test_without_javascript_sign_out_everywhere_asks_on_a_page_first(
    client: Client, alice: User
) -> None:
    access = signed_in(client, alice)
    response = client.post("/account", {"action": "sign_out_everywhere"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sign out on every device and revoke all your personal API tokens?" in body
    assert 'name="action" value="sign_out_everywhere"' in body
    assert '<input type="hidden" name="confirm" value="1">' in body
    assert user_for_access_token(access) == alice


def test_sign_out_everywhere_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    access = signed_in(client, alice)
    refused = client.post("/account", {"action": "sign_out_everywhere", "confirm": "1"})
    assert refused.status_code == 403
    assert user_for_access_token(access) == alice
