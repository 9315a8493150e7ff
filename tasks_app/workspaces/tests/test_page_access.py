"""Every workspace page URL, read from the URLconf so a new one is covered the day it is added:
someone outside the workspace gets the 404 page, as for a workspace that does not exist, and a
viewer's or editor's admin posts are refused with 403 and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.workspaces import urls
from tasks_app.workspaces.models import Membership, Role, Workspace

# Pages every member may use.
MEMBER_PAGES = {"workspace", "workspace_leave"}
SCOPED = sorted(p.name for p in urls.urlpatterns if "workspace_id" in p.pattern.converters)
ADMIN_ONLY = [name for name in SCOPED if name not in MEMBER_PAGES]


def call(client: Client, name: str, workspace_id: int, member: User) -> Any:
    pattern = next(p for p in urls.urlpatterns if p.name == name)
    kwargs: dict[str, Any] = {"workspace_id": workspace_id}
    if "user_id" in pattern.pattern.converters:
        kwargs["user_id"] = member.pk
    url = reverse(name, kwargs=kwargs)
    data = {"name": "Changed", "user": "charlie", "role": "admin", "confirm": "1"}
    return client.get(url) if name == "workspace" else client.post(url, data)


def assert_unchanged(team: Workspace) -> None:
    team.refresh_from_db()
    assert team.name == "Newsroom"
    assert Membership.objects.filter(workspace=team).count() == 3
    assert Membership.objects.filter(workspace=team, role=Role.ADMIN).count() == 1
    assert not team.invitations.exists()


def test_it_finds_the_workspace_pages() -> None:
    assert {"workspace", "workspace_invite", "member_role", "member_remove"} <= set(SCOPED)


@pytest.mark.parametrize("name", SCOPED)
def test_it_shows_a_non_member_the_404_page(
    name: str, client: Client, bob: User, charlie: User, team: Workspace
) -> None:
    signed_in(client, charlie)
    response = call(client, name, team.pk, bob)
    assert response.status_code == 404
    assert call(client, name, 999999, bob).status_code == 404
    assert_unchanged(team)


@pytest.mark.parametrize("name", ADMIN_ONLY)
@pytest.mark.parametrize("who", ["bob", "dave"])
def test_it_refuses_admin_posts_to_editors_and_viewers(
    name: str,
    who: str,
    client: Client,
    bob: User,
    charlie: User,
    dave: User,
    team: Workspace,
    request: pytest.FixtureRequest,
) -> None:
    caller = request.getfixturevalue(who)
    signed_in(client, caller)
    assert call(client, name, team.pk, dave if caller == bob else bob).status_code == 403
    assert_unchanged(team)
