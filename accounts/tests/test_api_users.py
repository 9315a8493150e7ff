from __future__ import annotations

from accounts.tests.conftest import bearer
from accounts.tokens import issue_tokens
from conftest import make_user

URL = "/api/v1/users"


def as_user(client, user):
    client.credentials(**bearer(issue_tokens(user)[0]))
    return client


def test_it_lists_every_user_for_staff(script, staff, alice, bob):
    response = as_user(script, staff).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 3
    assert [u["email"] for u in body["users"]] == [
        "alice@example.org",
        "bob@example.org",
        "sam@example.org",
    ]
    assert "password" not in body["users"][0]
    assert body["users"][0]["is_active"] is True


def test_it_pages_with_skip_and_limit(script, staff, alice, bob):
    body = as_user(script, staff).get(URL, {"skip": 1, "limit": 1}).json()
    assert body["total"] == 3
    assert [u["username"] for u in body["users"]] == ["bob"]


def test_it_caps_the_limit_at_100(script, staff, db):
    for number in range(101):
        make_user(name=f"user{number:03}", password=None)
    body = as_user(script, staff).get(URL, {"limit": 500}).json()
    assert body["total"] == 102
    assert len(body["users"]) == 100


def test_it_searches_email_username_and_full_name(script, staff, alice, bob):
    client = as_user(script, staff)
    assert [u["username"] for u in client.get(URL, {"q": "OWNER"}).json()["users"]] == ["alice"]
    assert client.get(URL, {"q": "bob@"}).json()["total"] == 1


def test_it_refuses_bad_paging_with_400(script, staff):
    client = as_user(script, staff)
    for params in ({"skip": -1}, {"limit": 0}, {"limit": "ten"}):
        response = client.get(URL, params)
        assert response.status_code == 400, params


def test_it_lists_in_a_constant_number_of_queries(script, staff, django_assert_max_num_queries):
    client = as_user(script, staff)
    for number in range(20):
        make_user(name=f"user{number:02}", password=None)
    with django_assert_max_num_queries(3):
        assert client.get(URL).status_code == 200
