from __future__ import annotations

import re

import pytest

from conftest import PASSWORD

URL = "/api/v1/auth/password/forgot"
NEW_PASSWORD = "a brand new passphrase 7"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://writers.example.org/"


@pytest.fixture
def mail_dir(settings, tmp_path):
    """The mail files the default (file-based) backend writes, as in production without SMTP."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    return settings.EMAIL_FILE_PATH


def mails(mail_dir) -> list[str]:
    if not mail_dir.exists():
        return []
    return [path.read_text() for path in sorted(mail_dir.iterdir())]


def reset_token(mail: str) -> str:
    match = re.search(r"https://writers\.example\.org/password/reset/(\S+)", mail)
    assert match, mail
    return match.group(1)


def test_it_mails_a_reset_link_that_works_once(script, alice, mail_dir):
    response = script.post(URL, {"email": "Alice@Example.org"})
    assert response.status_code == 202
    [mail] = mails(mail_dir)
    assert "To: alice@example.org" in mail
    token = reset_token(mail)
    assert "/" not in token

    reset = {"token": token, "new_password": NEW_PASSWORD}
    assert script.post("/api/v1/auth/password/reset", reset).status_code == 200
    token_login = script.post(
        "/api/v1/auth/token", {"email": "alice@example.org", "password": NEW_PASSWORD}
    )
    assert token_login.status_code == 200
    old_login = script.post(
        "/api/v1/auth/token", {"email": "alice@example.org", "password": PASSWORD}
    )
    assert old_login.status_code == 401

    again = script.post(
        "/api/v1/auth/password/reset", {"token": token, "new_password": "yet another one 99"}
    )
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_token"


def test_it_answers_202_and_mails_nobody_for_an_unknown_email(script, mail_dir):
    response = script.post(URL, {"email": "nobody@example.org"})
    assert response.status_code == 202
    assert mails(mail_dir) == []


def test_it_answers_the_same_for_known_and_unknown_emails(script, alice, mail_dir):
    known = script.post(URL, {"email": "alice@example.org"})
    unknown = script.post(URL, {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()


def test_it_mails_nobody_for_a_deactivated_account(script, alice, mail_dir):
    alice.is_active = False
    alice.save()
    assert script.post(URL, {"email": "alice@example.org"}).status_code == 202
    assert mails(mail_dir) == []


def test_the_link_points_at_site_url_whatever_host_the_request_names(
    script, alice, mail_dir, settings
):
    # With DEBUG's "*" any Host is accepted; a link to it would hand the token to that host.
    settings.ALLOWED_HOSTS = ["*"]
    response = script.post(URL, {"email": "alice@example.org"}, HTTP_HOST="evil.example")
    assert response.status_code == 202
    [mail] = mails(mail_dir)
    assert "evil.example" not in mail
    assert reset_token(mail)
