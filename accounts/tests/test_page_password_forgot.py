"""GET and POST /password/forgot."""

from __future__ import annotations

from typing import Any

from django.test import Client

from accounts.models import User


def test_it_mails_a_reset_link(client: Client, alice: User, mailoutbox: list[Any]) -> None:
    response = client.post("/password/forgot", {"email": "alice@example.org"})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.content.decode()
    assert len(mailoutbox) == 1
    assert "http://testserver/password/reset/" in mailoutbox[0].body


def test_it_answers_the_same_for_an_unknown_address(
    client: Client, db: None, mailoutbox: list[Any]
) -> None:
    response = client.post("/password/forgot", {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.content.decode()
    assert mailoutbox == []


def test_it_shows_an_invalid_address(client: Client, db: None) -> None:
    response = client.post("/password/forgot", {"email": "nope"})
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
