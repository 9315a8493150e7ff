from __future__ import annotations

from accounts.models import User

URL = "/api/v1/auth/register"
NEW = {
    "email": "Dana@Example.org",
    "username": "dana",
    "password": "a long and unusual passphrase",
    "full_name": "Dana New",
}


def test_it_creates_the_account_and_signs_in(browser):
    response = browser.post_with_csrf(URL, NEW)
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "dana@example.org"
    assert body["username"] == "dana"
    assert body["full_name"] == "Dana New"
    assert "password" not in body
    assert {"access_token", "refresh_token"} <= set(response.cookies)
    assert browser.get("/api/v1/auth/me").json()["email"] == "dana@example.org"


def test_it_hashes_the_password_with_bcrypt(browser):
    browser.post_with_csrf(URL, NEW)
    user = User.objects.get(username="dana")
    assert user.password.startswith("bcrypt_sha256$")
    assert user.check_password(NEW["password"])


def test_it_requires_a_csrf_token(browser):
    response = browser.post(URL, NEW, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not User.objects.filter(username="dana").exists()


def test_it_refuses_an_email_in_use_in_any_case(browser, alice):
    response = browser.post_with_csrf(URL, {**NEW, "email": "ALICE@example.org"})
    assert response.status_code == 400
    assert "email" in response.json()


def test_it_refuses_a_username_in_use(browser, alice):
    response = browser.post_with_csrf(URL, {**NEW, "username": "Alice"})
    assert response.status_code == 400
    assert "username" in response.json()


def test_it_applies_the_password_validators(browser):
    response = browser.post_with_csrf(URL, {**NEW, "password": "12345678"})
    assert response.status_code == 400
    assert "password" in response.json()
    assert not User.objects.filter(username="dana").exists()


def test_it_refuses_a_password_like_the_email(browser):
    response = browser.post_with_csrf(URL, {**NEW, "password": "dana@example.org"})
    assert response.status_code == 400
    assert "password" in response.json()


def test_it_refuses_an_invalid_email_and_username(browser):
    response = browser.post_with_csrf(URL, {**NEW, "email": "not-an-email", "username": "a b"})
    assert response.status_code == 400
    assert {"email", "username"} <= set(response.json())


def test_it_requires_every_field_but_full_name(browser):
    response = browser.post_with_csrf(URL, {})
    assert response.status_code == 400
    assert {"email", "username", "password"} <= set(response.json())
    assert "full_name" not in response.json()
