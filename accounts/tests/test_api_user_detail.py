from __future__ import annotations

from accounts.models import User
from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from conftest import make_user


def url(user) -> str:
    return f"/api/v1/users/{user.id}"


def as_user(client, user):
    client.credentials(**bearer(issue_tokens(user)[0]))
    return client


def test_it_shows_a_user_to_staff(script, staff, alice):
    body = as_user(script, staff).get(url(alice)).json()
    assert body["email"] == "alice@example.org"
    assert body["full_name"] == "Alice Owner"


def test_it_answers_404_for_an_unknown_user(script, staff):
    response = as_user(script, staff).get("/api/v1/users/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404


def test_it_lets_staff_edit_a_user(script, staff, alice):
    response = as_user(script, staff).patch(
        url(alice), {"full_name": "A. Owner", "email": "Alice2@Example.org", "is_staff": True}
    )
    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.full_name, alice.email, alice.is_staff) == (
        "A. Owner",
        "alice2@example.org",
        True,
    )


def test_deactivating_a_user_ends_their_sessions_at_once(script, staff, alice):
    alice_access, _refresh = issue_tokens(alice)
    as_user(script, staff).patch(url(alice), {"is_active": False})
    script.credentials(**bearer(alice_access))
    assert script.get("/api/v1/auth/me").status_code == 401


def test_it_refuses_an_email_or_username_someone_else_has(script, staff, alice, bob):
    response = as_user(script, staff).patch(url(alice), {"email": "BOB@example.org"})
    assert response.status_code == 400
    assert "email" in response.json()
    response = script.patch(url(alice), {"username": "bob"})
    assert "username" in response.json()


def test_staff_cannot_lock_themselves_out(script, staff):
    client = as_user(script, staff)
    for change in ({"is_active": False}, {"is_staff": False}):
        response = client.patch(url(staff), change)
        assert response.status_code == 400
        assert response.json()["code"] == "cannot_change_self"
    assert client.delete(url(staff)).status_code == 400
    staff.refresh_from_db()
    assert staff.is_active and staff.is_staff


def test_only_a_superuser_changes_a_superuser(script, staff):
    plain_staff = make_user(name="pat", is_staff=True)
    response = as_user(script, plain_staff).patch(url(staff), {"is_active": False})
    assert response.status_code == 403
    assert response.json()["code"] == "superuser_only"


def test_it_deletes_a_user_and_their_tokens_stop_working(script, staff, alice):
    alice_access, _refresh = issue_tokens(alice)
    assert as_user(script, staff).delete(url(alice)).status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()
    script.credentials(**bearer(alice_access))
    assert script.get("/api/v1/auth/me").status_code == 401
