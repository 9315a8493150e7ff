from __future__ import annotations

from django.contrib.auth.models import Permission

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


def staff_with(*codenames: str, name: str = "pat") -> User:
    """A staff member (not a superuser) holding exactly these accounts permissions."""
    user = make_user(name=name, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )
    return user


def test_only_a_superuser_changes_a_superuser(script, staff):
    plain_staff = staff_with("view_user", "change_user", "delete_user")
    response = as_user(script, plain_staff).patch(url(staff), {"is_active": False})
    assert response.status_code == 403
    assert response.json()["code"] == "superuser_only"


def test_staff_without_permissions_can_neither_read_nor_change_users(script, alice):
    client = as_user(script, staff_with())
    assert client.get(url(alice)).status_code == 403
    assert client.get("/api/v1/users").status_code == 403
    response = client.patch(url(alice), {"email": "mallory@example.org", "is_staff": True})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.delete(url(alice)).status_code == 403
    alice.refresh_from_db()
    assert (alice.email, alice.is_staff) == ("alice@example.org", False)


def test_staff_who_may_only_view_users_cannot_change_them(script, alice):
    client = as_user(script, staff_with("view_user"))
    assert client.get(url(alice)).status_code == 200
    assert client.patch(url(alice), {"full_name": "X"}).status_code == 403
    assert client.delete(url(alice)).status_code == 403


def test_staff_with_change_user_edit_a_user_but_cannot_grant_staff(script, alice):
    client = as_user(script, staff_with("change_user"))
    assert client.get(url(alice)).status_code == 200
    assert client.patch(url(alice), {"full_name": "A. Owner"}).status_code == 200
    response = client.patch(url(alice), {"is_staff": True})
    assert response.status_code == 403
    assert response.json()["code"] == "superuser_only"
    assert client.delete(url(alice)).status_code == 403
    alice.refresh_from_db()
    assert (alice.full_name, alice.is_staff) == ("A. Owner", False)


def test_staff_with_change_user_cannot_take_over_another_staff_account(script, alice):
    other_staff = staff_with("view_user", name="quinn")
    client = as_user(script, staff_with("change_user"))
    response = client.patch(url(other_staff), {"email": "mallory@example.org"})
    assert response.status_code == 403
    assert response.json()["code"] == "superuser_only"


def test_staff_with_delete_user_delete_a_user(script, alice):
    assert as_user(script, staff_with("delete_user")).delete(url(alice)).status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()


def test_a_superuser_grants_and_removes_staff(script, staff, alice):
    client = as_user(script, staff)
    assert client.patch(url(alice), {"is_staff": True}).status_code == 200
    alice.refresh_from_db()
    assert alice.is_staff
    assert client.patch(url(alice), {"is_staff": False}).status_code == 200


def test_it_deletes_a_user_and_their_tokens_stop_working(script, staff, alice):
    alice_access, _refresh = issue_tokens(alice)
    assert as_user(script, staff).delete(url(alice)).status_code == 204
    assert not User.objects.filter(pk=alice.pk).exists()
    script.credentials(**bearer(alice_access))
    assert script.get("/api/v1/auth/me").status_code == 401
