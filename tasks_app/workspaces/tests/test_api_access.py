"""Every workspace and invitation URL, read from the URLconf so a new route is covered the day it
is added: anonymous 401; someone outside the workspace 404, the same answer as for a workspace
that does not exist; viewers and editors 403 on what only admins may do."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import URLPattern, reverse
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.workspaces import api_urls, invitations
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace

HANDLER_METHODS = ("get", "post", "put", "patch", "delete")
# What the viewer (dave) may do: read, and leave (DELETE naming themselves, see `args`).
MEMBER_ROUTES = {("detail", "get"), ("members", "get"), ("member", "delete")}
# Routes that are the caller's own business, not a workspace's.
OWN_ROUTES = {("list", "get"), ("list", "post"), ("invitations", "get")}
# Answered by the invitee only: everyone else is outside it (404) or not invited (403).
INVITEE_ROUTES = {("accept", "post"), ("decline", "post")}


def routes() -> Iterator[tuple[str, str]]:
    for pattern in api_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        for method in HANDLER_METHODS:
            if hasattr(pattern.callback.view_class, method):
                yield pattern.name, method


ALL_ROUTES = list(routes())
SCOPED_ROUTES = [route for route in ALL_ROUTES if route not in OWN_ROUTES]
ADMIN_ROUTES = [
    route for route in SCOPED_ROUTES if route not in MEMBER_ROUTES and route not in INVITEE_ROUTES
]


def url(name: str, team: Any, invitation: Any, member: Any) -> str:
    kwargs: dict[str, Any] = {}
    pattern = next(p for p in api_urls.urlpatterns if p.name == name)
    converters = pattern.pattern.converters
    if "workspace_id" in converters:
        kwargs["workspace_id"] = team
    if "user_id" in converters:
        kwargs["user_id"] = member
    if "invitation_id" in converters:
        kwargs["invitation_id"] = invitation
    return reverse(f"workspaces_api:{name}", kwargs=kwargs)


BODIES = {"list": {"name": "Changed"}, "detail": {"name": "Changed"}, "member": {"role": "admin"}}
BODIES["members"] = {"user": "charlie", "role": "admin"}


def call(client: APIClient, name: str, method: str, *ids: Any) -> Any:
    return getattr(client, method)(url(name, *ids), BODIES.get(name, {}), format="json")


@pytest.fixture
def eve(db: Any) -> User:
    return User.objects.create_user(email="eve@example.org", username="eve", password="x")


@pytest.fixture
def invitation(alice: User, team: Workspace, eve: User) -> Invitation:
    return invitations.invite(alice, team, "eve", Role.VIEWER)


def test_it_enumerates_every_route() -> None:
    assert set(ALL_ROUTES) >= {
        ("list", "get"),
        ("list", "post"),
        ("detail", "patch"),
        ("detail", "delete"),
        ("members", "post"),
        ("member", "patch"),
        ("member", "delete"),
        ("invitations", "get"),
        ("invitation", "delete"),
        ("accept", "post"),
        ("decline", "post"),
    }


@pytest.mark.parametrize(("name", "method"), ALL_ROUTES)
def test_it_requires_a_signed_in_user(
    name: str, method: str, team: Workspace, invitation: Invitation, bob: User, api: Callable
) -> None:
    response = call(api(None), name, method, team.pk, invitation.pk, bob.pk)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("name", "method"), SCOPED_ROUTES)
def test_it_hides_the_workspace_from_a_non_member(
    name: str,
    method: str,
    team: Workspace,
    invitation: Invitation,
    bob: User,
    charlie: User,
    api: Callable,
) -> None:
    response = call(api(charlie), name, method, team.pk, invitation.pk, bob.pk)
    assert response.status_code == 404
    missing = call(api(charlie), name, method, 999999, 999999, bob.pk)
    assert response.json() == missing.json()
    assert call(api(charlie), name, method, "nope", "nope", "nope").status_code == 404
    assert_unchanged(team, invitation)


@pytest.mark.parametrize(("name", "method"), ADMIN_ROUTES)
@pytest.mark.parametrize("who", ["bob", "dave"])
def test_it_refuses_admin_actions_to_editors_and_viewers(
    name: str,
    method: str,
    who: str,
    team: Workspace,
    invitation: Invitation,
    bob: User,
    dave: User,
    api: Callable,
    request: pytest.FixtureRequest,
) -> None:
    caller = request.getfixturevalue(who)
    other = dave if caller == bob else bob
    response = call(api(caller), name, method, team.pk, invitation.pk, other.pk)
    assert response.status_code == 403
    assert "cannot do this" in response.json()["detail"]
    assert_unchanged(team, invitation)


@pytest.mark.parametrize(("name", "method"), SCOPED_ROUTES)
def test_it_lets_an_admin_through(
    name: str,
    method: str,
    alice: User,
    team: Workspace,
    invitation: Invitation,
    charlie: User,
    dave: User,
    api: Callable,
) -> None:
    response = call(api(alice), name, method, team.pk, invitation.pk, dave.pk)
    # The invitation is eve's to answer: alice may see it but not answer it.
    expected = 403 if (name, method) in INVITEE_ROUTES else None
    if expected:
        assert response.status_code == expected
    else:
        assert response.status_code < 400, response.content


def assert_unchanged(team: Workspace, invitation: Invitation) -> None:
    team.refresh_from_db()
    assert team.name == "Newsroom"
    assert Membership.objects.filter(workspace=team).count() == 3
    assert Membership.objects.filter(workspace=team, role=Role.ADMIN).count() == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert Invitation.objects.count() == 1
