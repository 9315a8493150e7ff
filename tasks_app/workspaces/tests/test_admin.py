"""The admin's workspaces (members inline) and invitations (filtered by status and role)."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.workspaces import invitations
from tasks_app.workspaces.models import Role, Workspace


def test_it_shows_workspaces_with_their_members(
    client: Client, staff: User, team: Workspace
) -> None:
    signed_in(client, staff)
    listing = client.get("/admin/tasks_app/workspace/").content.decode()
    assert "Newsroom" in listing
    change = client.get(f"/admin/tasks_app/workspace/{team.pk}/change/").content.decode()
    assert "memberships-TOTAL_FORMS" in change and 'value="3"' in change


def test_it_filters_invitations_by_status(
    client: Client, staff: User, alice: User, charlie: User, team: Workspace
) -> None:
    invitations.invite(alice, team, "charlie", Role.VIEWER)
    signed_in(client, staff)
    pending = client.get("/admin/tasks_app/invitation/?status__exact=pending").content.decode()
    assert "charlie@example.org" in pending
    declined = client.get("/admin/tasks_app/invitation/?status__exact=declined").content.decode()
    assert "charlie@example.org" not in declined
