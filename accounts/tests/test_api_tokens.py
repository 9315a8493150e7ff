"""Personal API tokens: create, list, revoke, and use them as Bearer on any API endpoint."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts.api_tokens import create_api_token, hash_token
from accounts.models import ApiToken
from accounts.tests.conftest import bearer
from accounts.tests.test_admin import signed_in as signed_in_browser
from accounts.tokens import issue_tokens

TOKENS = "/api/v1/auth/api-tokens"


def signed_in(script, user):
    script.credentials(**bearer(issue_tokens(user)[0]))
    return script


def test_it_creates_a_token_shown_once_and_stored_hashed(script, alice):
    response = signed_in(script, alice).post(TOKENS, {"name": "laptop"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "name", "token"}
    assert body["name"] == "laptop"
    assert body["token"].startswith("wrt_") and len(body["token"]) > 40
    row = ApiToken.objects.get(pk=body["id"])
    assert row.token_hash == hash_token(body["token"])
    assert body["token"] not in str(ApiToken.objects.filter(pk=row.pk).values().get())

    listed = script.get(TOKENS).json()["tokens"]
    assert [token["name"] for token in listed] == ["laptop"]
    assert "token" not in listed[0] and "token_hash" not in listed[0]
    assert body["token"].startswith(listed[0]["prefix"])


def test_it_requires_a_name(script, alice):
    response = signed_in(script, alice).post(TOKENS, {"name": "   "}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()


def test_it_authenticates_any_api_endpoint_and_records_last_use(script, alice):
    token, raw = create_api_token(alice, "script")
    assert token.last_used_at is None
    script.credentials(**bearer(raw))
    assert script.get("/api/v1/auth/me").json()["email"] == alice.email
    assert script.get("/api/v1/tasks").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_it_writes_last_use_at_most_once_a_minute(script, alice, django_assert_num_queries):
    token, raw = create_api_token(alice, "script")
    recent = timezone.now() - timedelta(seconds=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    script.credentials(**bearer(raw))
    # One query finds the token with its user; no UPDATE while the last use is recent.
    with django_assert_num_queries(1):
        assert script.get("/api/v1/auth/me").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == recent


def test_it_revokes_a_token(script, alice):
    token, raw = create_api_token(alice, "old")
    response = signed_in(script, alice).delete(f"{TOKENS}/{token.pk}")
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert script.get(TOKENS).json()["tokens"] == []

    script.credentials(**bearer(raw))
    refused = script.get("/api/v1/auth/me")
    assert refused.status_code == 401
    assert refused.json()["detail"] == "Invalid or revoked API token."
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_it_hides_other_peoples_tokens(script, alice, charlie):
    token, raw = create_api_token(alice, "alice's")
    signed_in(script, charlie)
    assert script.get(TOKENS).json()["tokens"] == []
    assert script.delete(f"{TOKENS}/{token.pk}").status_code == 404
    assert script.delete(f"{TOKENS}/not-a-uuid").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_refuses_unknown_tokens_and_inactive_users(script, alice):
    script.credentials(**bearer("wrt_" + "x" * 43))
    assert script.get("/api/v1/auth/me").status_code == 401
    _token, raw = create_api_token(alice, "script")
    alice.is_active = False
    alice.save()
    script.credentials(**bearer(raw))
    assert script.get("/api/v1/auth/me").status_code == 401


def test_it_refuses_anonymous_token_management(script, db):
    assert script.get(TOKENS).status_code == 401
    assert script.post(TOKENS, {"name": "x"}, format="json").status_code == 401


def test_it_needs_no_csrf_with_an_api_token(browser, alice):
    _token, raw = create_api_token(alice, "script")
    response = browser.post(
        "/api/v1/tasks", {"title": "From a script"}, format="json", **bearer(raw)
    )
    assert response.status_code == 201, response.content


def test_staff_list_and_revoke_tokens_in_the_admin(staff, alice):
    token, _raw = create_api_token(alice, "leaked")
    client = signed_in_browser(staff)
    listed = client.get("/admin/accounts/apitoken/")
    assert listed.status_code == 200
    assert b"leaked" in listed.content and b"alice@example.org" in listed.content
    client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [str(token.pk)]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
