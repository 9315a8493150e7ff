from __future__ import annotations

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens

URL = "/api/v1/auth/token/refresh"


def test_it_rotates_the_pair_in_the_body(script, alice):
    _access, refresh = issue_tokens(alice)
    response = script.post(URL, {"refresh": refresh})
    assert response.status_code == 200
    body = response.json()
    assert body["refresh"] != refresh
    assert not response.cookies
    assert script.get("/api/v1/auth/me", **bearer(body["access"])).status_code == 200


def test_it_answers_401_when_a_refresh_token_is_reused(script, alice):
    _access, refresh = issue_tokens(alice)
    assert script.post(URL, {"refresh": refresh}).status_code == 200
    response = script.post(URL, {"refresh": refresh})
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_the_new_refresh_token_still_works_after_a_reuse_attempt(script, alice):
    _access, refresh = issue_tokens(alice)
    new_refresh = script.post(URL, {"refresh": refresh}).json()["refresh"]
    script.post(URL, {"refresh": refresh})
    assert script.post(URL, {"refresh": new_refresh}).status_code == 200


def test_it_refuses_an_access_token(script, alice):
    access, _refresh = issue_tokens(alice)
    assert script.post(URL, {"refresh": access}).status_code == 401


def test_it_refuses_a_deactivated_or_deleted_user(script, alice, bob):
    _access, alice_refresh = issue_tokens(alice)
    _access, bob_refresh = issue_tokens(bob)
    alice.is_active = False
    alice.save()
    bob.delete()
    assert script.post(URL, {"refresh": alice_refresh}).status_code == 401
    assert script.post(URL, {"refresh": bob_refresh}).status_code == 401


def test_it_needs_the_refresh_field(script):
    assert script.post(URL, {}).status_code == 400
