"""/workspaces/invitations and answering an invitation, there or inline in /notifications
(htmx swaps the answer in; without JavaScript the form posts and redirects)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.integrations.notifications import link
from tasks_app.workspaces import invitations
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace


@pytest.fixture
def invitation(alice: User, charlie: User, team: Workspace) -> Invitation:
    return invitations.invite(alice, team, "charlie@example.org", Role.EDITOR)


def test_it_lists_the_invitations_waiting_for_the_user(
    client: Client, charlie: User, invitation: Invitation
) -> None:
    signed_in(client, charlie)
    body = client.get("/workspaces/invitations").content.decode()
    assert "Alice Owner invited you to “Newsroom” as Editor." in body
    assert f"/workspaces/invitations/{invitation.pk}/accept" in body


def test_the_notification_leads_here_and_answers_inline(
    client: Client, charlie: User, invitation: Invitation
) -> None:
    notification = charlie.notifications.get()
    assert link(notification) == "/workspaces/invitations"
    signed_in(client, charlie)
    body = client.get("/notifications").content.decode()
    assert "Alice Owner invited you to the workspace “Newsroom”." in body
    assert f'hx-post="/workspaces/invitations/{invitation.pk}/accept"' in body
    assert f'hx-post="/workspaces/invitations/{invitation.pk}/decline"' in body


def test_accepting_with_htmx_swaps_in_the_answer(
    client: Client, charlie: User, team: Workspace, invitation: Invitation
) -> None:
    signed_in(client, charlie)
    url = f"/workspaces/invitations/{invitation.pk}/accept"
    response = client.post(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.startswith('<div class="invitation-answer" id="invitation-')
    assert f'href="/workspaces/{team.pk}"' in body
    assert Membership.objects.get(workspace=team, user=charlie).role == Role.EDITOR
    # Answered, the notification is read and the header's badge is told to refresh.
    assert response["HX-Trigger"] == "notifications-read"
    assert charlie.notifications.get().read_at is not None
    again = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert "already answered" in again


def test_accepting_without_javascript_opens_the_workspace(
    client: Client, charlie: User, team: Workspace, invitation: Invitation
) -> None:
    signed_in(client, charlie)
    response = client.post(f"/workspaces/invitations/{invitation.pk}/accept")
    assert response["Location"] == f"/workspaces/{team.pk}"
    assert "You joined “Newsroom”." in client.get(response["Location"]).content.decode()


def test_declining_joins_nothing(
    client: Client, charlie: User, team: Workspace, invitation: Invitation
) -> None:
    signed_in(client, charlie)
    response = client.post(f"/workspaces/invitations/{invitation.pk}/decline")
    assert response["Location"] == "/workspaces/invitations"
    assert not Membership.objects.filter(workspace=team, user=charlie).exists()
    body = client.get("/notifications").content.decode()
    assert "Declined." in body and f"/workspaces/invitations/{invitation.pk}/accept" not in body


def test_nobody_else_answers_and_admins_revoke(
    client: Client, alice: User, bob: User, charlie: User, invitation: Invitation
) -> None:
    signed_in(client, bob)
    assert client.post(f"/workspaces/invitations/{invitation.pk}/accept").status_code == 403
    assert client.post(f"/workspaces/invitations/{invitation.pk}/revoke").status_code == 403
    signed_in(client, alice)
    client.post(f"/workspaces/invitations/{invitation.pk}/revoke")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    signed_in(client, charlie)
    assert "was revoked" in client.get("/notifications").content.decode()
