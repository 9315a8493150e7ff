from __future__ import annotations

from accounts.api_tokens import active_tokens, create_api_token
from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens, make_reset_token

URL = "/api/v1/auth/password/reset"
NEW_PASSWORD = "a brand new passphrase 7"


def test_it_sets_the_new_password(script, alice):
    response = script.post(URL, {"token": make_reset_token(alice), "new_password": NEW_PASSWORD})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_it_revokes_every_token_issued_before(script, alice):
    access, _refresh = issue_tokens(alice)
    script.post(URL, {"token": make_reset_token(alice), "new_password": NEW_PASSWORD})
    assert script.get("/api/v1/auth/me", **bearer(access)).status_code == 401


def test_it_refuses_a_token_made_for_someone_else(script, alice, charlie):
    charlie_hex = charlie.pk.hex
    forged = charlie_hex + make_reset_token(alice)[len(charlie_hex) :]
    response = script.post(URL, {"token": forged, "new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_token"
    charlie.refresh_from_db()
    assert not charlie.check_password(NEW_PASSWORD)


def test_it_refuses_malformed_tokens_with_400_never_500(script, alice):
    for token in ("", "x", "-", "not-a-uuid-at-all", "0" * 32 + "-abc-def", "☃"):
        response = script.post(URL, {"token": token, "new_password": NEW_PASSWORD})
        assert response.status_code == 400, token


def test_it_refuses_a_token_once_the_password_changed(script, alice):
    token = make_reset_token(alice)
    alice.set_password("changed elsewhere 123")
    alice.save()
    response = script.post(URL, {"token": token, "new_password": NEW_PASSWORD})
    assert response.json()["code"] == "invalid_token"


def test_it_refuses_an_expired_token(script, alice, settings):
    token = make_reset_token(alice)
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = script.post(URL, {"token": token, "new_password": NEW_PASSWORD})
    assert response.json()["code"] == "invalid_token"


def test_it_applies_the_password_validators(script, alice):
    response = script.post(URL, {"token": make_reset_token(alice), "new_password": "alice"})
    assert response.status_code == 400
    assert "new_password" in response.json()


def test_it_revokes_every_api_token_and_the_tokens_they_minted(script, alice):
    _token, raw = create_api_token(alice, "laptop")
    minted = script.post("/api/v1/auth/api-tokens", {"name": "attacker"}, **bearer(raw))
    assert minted.status_code == 201
    script.post(URL, {"token": make_reset_token(alice), "new_password": NEW_PASSWORD})
    for secret in (raw, minted.json()["token"]):
        assert script.get("/api/v1/auth/me", **bearer(secret)).status_code == 401
    assert not active_tokens(alice).exists()


def test_it_ends_every_session_so_no_refresh_token_mints_new_access(script, alice):
    _access, refresh = issue_tokens(alice)
    script.post(URL, {"token": make_reset_token(alice), "new_password": NEW_PASSWORD})
    response = script.post("/api/v1/auth/token/refresh", {"refresh": refresh})
    assert response.status_code == 401
