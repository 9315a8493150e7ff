"""GET and POST /login."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_for_access_token
from conftest import PASSWORD


def test_it_shows_the_form(client: Client, db: None) -> None:
    body = client.get("/login").content.decode()
    assert 'name="email"' in body and 'name="password"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'href="/password/forgot"' in body and 'href="/register"' in body


def test_it_signs_in_with_cookies_and_goes_to_the_dashboard(client: Client, alice: User) -> None:
    response = client.post("/login", {"email": "ALICE@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
    access = response.cookies["access_token"]
    assert access["httponly"] and access["samesite"] == "Lax"
    assert user_for_access_token(access.value) == alice
    assert response.cookies["refresh_token"]["path"] == "/api/v1/auth/"
    assert client.get("/dashboard").status_code == 200


def test_it_returns_to_the_page_that_asked_for_login(client: Client, alice: User) -> None:
    form = client.get("/login?next=/account").content.decode()
    assert 'name="next" value="/account"' in form
    response = client.post(
        "/login", {"email": alice.email, "password": PASSWORD, "next": "/account"}
    )
    assert response["Location"] == "/account"


def test_it_never_redirects_off_site(client: Client, alice: User) -> None:
    response = client.post(
        "/login", {"email": alice.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard"


def test_it_gives_one_message_for_any_wrong_credentials(client: Client, alice: User) -> None:
    wrong_password = client.post("/login", {"email": alice.email, "password": "nope"})
    unknown = client.post("/login", {"email": "nobody@example.org", "password": "nope"})
    for response in (wrong_password, unknown):
        assert response.status_code == 400
        assert "The email or password is not right." in response.content.decode()
        assert "access_token" not in response.cookies


def test_it_puts_the_cursor_in_the_password_field_after_wrong_credentials(
    client: Client, alice: User
) -> None:
    assert "autofocus" in _input(client.get("/login").content.decode(), "email")
    body = client.post("/login", {"email": alice.email, "password": "nope"}).content.decode()
    assert "autofocus" in _input(body, "password")
    assert "autofocus" not in _input(body, "email")


def _input(body: str, name: str) -> str:
    start = body.index(f'name="{name}"')
    return body[body.rindex("<input", 0, start) : body.index(">", start)]


def test_it_shows_field_errors(client: Client, db: None) -> None:
    response = client.post("/login", {"email": "not-an-email", "password": ""})
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert "This field is required." in body
    assert 'aria-invalid="true"' in body


def test_it_throttles_guessing(client: Client, alice: User, settings: object) -> None:
    settings.REST_FRAMEWORK = {  # type: ignore[attr-defined]
        **settings.REST_FRAMEWORK,  # type: ignore[attr-defined]
        "DEFAULT_THROTTLE_RATES": {
            "auth_ip": "100/min",
            "auth_account": "3/min",
            "auth_account_failures": "100/hour",
        },
    }
    for _attempt in range(3):
        assert client.post("/login", {"email": alice.email, "password": "x"}).status_code == 400
    response = client.post("/login", {"email": alice.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "access_token" not in response.cookies


def test_failures_elsewhere_do_not_lock_out_an_address_that_signed_in_before(
    client: Client, alice: User, settings: object
) -> None:
    settings.REST_FRAMEWORK = {  # type: ignore[attr-defined]
        **settings.REST_FRAMEWORK,  # type: ignore[attr-defined]
        "DEFAULT_THROTTLE_RATES": {
            "auth_ip": "100/min",
            "auth_account": "100/min",
            "auth_account_failures": "2/hour",
        },
    }
    right = {"email": alice.email, "password": PASSWORD}
    assert client.post("/login", right).status_code == 302
    client.cookies.clear()
    for number in range(2):
        wrong = {"email": alice.email, "password": "x"}
        assert client.post("/login", wrong, REMOTE_ADDR=f"10.9.0.{number}").status_code == 400
    assert client.post("/login", right, REMOTE_ADDR="10.9.0.99").status_code == 429
    assert client.post("/login", right).status_code == 302


def test_it_sends_signed_in_users_to_the_dashboard(client: Client, alice: User) -> None:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    response = client.get("/login")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard"
