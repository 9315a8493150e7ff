"""GET and POST /password/reset/<token>, end to end through the mail."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.test import Client

from accounts.models import User
from conftest import PASSWORD

NEW = {"new_password": "a brand new passphrase", "new_password_confirm": "a brand new passphrase"}


def reset_path(client: Client, mailoutbox: list[Any]) -> str:
    client.post("/password/forgot", {"email": "alice@example.org"})
    site = re.escape(settings.SITE_URL.rstrip("/"))
    return re.search(site + r"(/password/reset/\S+)", mailoutbox[-1].body).group(1)


def test_it_sets_the_new_password_once(client: Client, alice: User, mailoutbox: list[Any]) -> None:
    path = reset_path(client, mailoutbox)
    assert 'name="new_password"' in client.get(path).content.decode()
    response = client.post(path, NEW)
    assert response["Location"] == "/login"
    alice.refresh_from_db()
    assert alice.check_password("a brand new passphrase")
    login = client.get("/login").content.decode()
    assert "Your password was changed. Log in with the new one." in login

    again = client.post(path, {**NEW, "new_password": "x" * 20, "new_password_confirm": "x" * 20})
    assert again.status_code == 400
    assert "invalid or has already been used" in again.content.decode()


def test_it_rejects_a_forged_link(client: Client, alice: User) -> None:
    response = client.post(f"/password/reset/{alice.pk.hex}-forged", NEW)
    assert response.status_code == 400
    assert "invalid or has already been used" in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)


def test_it_applies_the_password_rules(client: Client, alice: User, mailoutbox: list[Any]) -> None:
    path = reset_path(client, mailoutbox)
    response = client.post(path, {"new_password": "123", "new_password_confirm": "123"})
    assert response.status_code == 400
    assert "This password is too short." in response.content.decode()
