from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.http import HttpResponse
from django.test import Client
from rest_framework_simplejwt.exceptions import TokenError

from accounts.api_tokens import create_api_token, user_for_api_token
from accounts.models import User
from accounts.services import set_auth_cookies
from accounts.tokens import issue_tokens, rotate_refresh_token, user_for_access_token
from conftest import make_user

CHANGELIST = "/admin/accounts/user/"
NEW_PASSWORD = "a brand new passphrase 7"


def signed_in(user) -> Client:
    """A browser holding the cookies /login would have set."""
    client = Client()
    response = HttpResponse()
    set_auth_cookies(response, user)
    for name, morsel in response.cookies.items():
        client.cookies[name] = morsel.value
    return client


def test_staff_reach_the_admin_with_the_writers_login(staff, alice):
    response = signed_in(staff).get(CHANGELIST)
    assert response.status_code == 200
    assert b"alice@example.org" in response.content


def test_it_searches_email_username_and_full_name(staff, alice, bob):
    client = signed_in(staff)
    found = client.get(CHANGELIST, {"q": "Owner"}).content
    assert b"alice@example.org" in found
    assert b"bob@example.org" not in found


def test_it_filters_by_active_and_staff(staff, alice, bob):
    bob.is_active = False
    bob.save()
    content = signed_in(staff).get(CHANGELIST, {"is_active__exact": "0"}).content
    assert b"bob@example.org" in content
    assert b"alice@example.org" not in content
    content = signed_in(staff).get(CHANGELIST, {"is_staff__exact": "1"}).content
    assert b"sam@example.org" in content
    assert b"alice@example.org" not in content


def test_it_deactivates_and_activates_users_in_bulk(staff, alice, bob):
    client = signed_in(staff)
    ids = [str(alice.pk), str(bob.pk), str(staff.pk)]
    client.post(CHANGELIST, {"action": "deactivate", "_selected_action": ids})
    assert set(User.objects.filter(is_active=False).values_list("username", flat=True)) == {
        "alice",
        "bob",
    }
    client.post(CHANGELIST, {"action": "activate", "_selected_action": ids})
    assert not User.objects.filter(is_active=False).exists()


def test_it_creates_a_user_with_a_bcrypt_password(staff):
    response = signed_in(staff).post(
        "/admin/accounts/user/add/",
        {
            "email": "new@example.org",
            "username": "newbie",
            "full_name": "",
            "usable_password": "true",
            "password1": "a decent passphrase 1",
            "password2": "a decent passphrase 1",
        },
    )
    assert response.status_code == 302, response.content
    assert User.objects.get(username="newbie").password.startswith("bcrypt_sha256$")


def test_it_sends_anonymous_visitors_to_the_writers_login_page(db):
    response = Client().get(CHANGELIST)
    assert response.status_code == 302
    login = Client().get(response["Location"])
    assert login["Location"] == "/login?next=" + quote(CHANGELIST, safe="/")


def test_it_sends_a_user_who_is_not_staff_to_login(charlie):
    response = signed_in(charlie).get(CHANGELIST)
    assert response.status_code == 302


def test_admin_logout_ends_the_writers_session(staff):
    client = signed_in(staff)
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert response.cookies["access_token"].value == ""
    assert client.get(CHANGELIST).status_code == 302


def test_a_password_set_by_staff_ends_every_session_and_api_token(staff, alice):
    access, refresh = issue_tokens(alice)
    _token, raw = create_api_token(alice, "laptop")
    response = signed_in(staff).post(
        f"{CHANGELIST}{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    assert user_for_access_token(access) is None
    assert user_for_api_token(raw) is None
    with pytest.raises(TokenError):
        rotate_refresh_token(refresh)


def staff_with(*codenames: str, name: str = "pat") -> User:
    user = make_user(name=name, is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="accounts", codename__in=codenames)
    )
    return user


def test_staff_who_may_change_users_cannot_grant_rights_not_even_to_themselves(db):
    pat = staff_with("view_user", "change_user")
    content = signed_in(pat).get(f"{CHANGELIST}{pat.pk}/change/").content.decode()
    assert 'name="email"' in content
    for field in ("is_staff", "is_superuser", "user_permissions", "groups"):
        assert f'name="{field}"' not in content


def test_staff_who_may_change_users_cannot_set_another_staff_members_password(staff, alice):
    client = signed_in(staff_with("view_user", "change_user"))
    other_staff = staff_with(name="quinn")
    data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    assert client.post(f"{CHANGELIST}{other_staff.pk}/password/", data).status_code == 403
    assert client.post(f"{CHANGELIST}{staff.pk}/password/", data).status_code == 403
    assert client.post(f"{CHANGELIST}{alice.pk}/password/", data).status_code == 302
    other_staff.refresh_from_db()
    assert not other_staff.check_password(NEW_PASSWORD)
