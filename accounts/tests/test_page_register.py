"""GET and POST /register."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_for_access_token

GOOD = {
    "email": "dora@example.org",
    "username": "dora",
    "full_name": "Dora Writer",
    "password": "a long and unusual passphrase",
}


def test_it_creates_the_account_and_signs_in(client: Client, db: None) -> None:
    response = client.post("/register", GOOD)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
    user = User.objects.get(email="dora@example.org")
    assert user.full_name == "Dora Writer"
    assert user_for_access_token(response.cookies["access_token"].value) == user
    assert "Welcome to Writers!" in client.get("/dashboard").content.decode()


def test_it_shows_each_fields_error(client: Client, alice: User) -> None:
    response = client.post(
        "/register",
        {**GOOD, "email": "Alice@Example.org", "username": "bad name!", "password": "12345678"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "An account with this email already exists." in body
    assert "Enter a valid username." in body or "username" in body.lower()
    assert "This password is entirely numeric." in body
    assert User.objects.count() == 1


def test_it_sends_signed_in_users_to_the_dashboard(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    assert client.get("/register")["Location"] == "/dashboard"
