"""GET and POST /password/forgot."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from accounts.models import User


def test_it_mails_a_reset_link(client: Client, alice: User, mailoutbox: list[Any]) -> None:
    response = client.post("/password/forgot", {"email": "alice@example.org"})
    assert response.status_code == 200
    assert "a link to choose a new password is on its way" in response.content.decode()
    assert len(mailoutbox) == 1
    assert f"{settings.SITE_URL.rstrip('/')}/password/reset/" in mailoutbox[0].body


def test_the_link_points_at_site_url_not_at_the_host_header(
    client: Client, alice: User, mailoutbox: list[Any], settings: Any
) -> None:
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://writers.example.org"
    client.post("/password/forgot", {"email": "alice@example.org"}, HTTP_HOST="evil.example")
    assert "evil.example" not in mailoutbox[0].body
    assert "https://writers.example.org/password/reset/" in mailoutbox[0].body


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
