"""GET /api/v1/invitations, POST .../{id}/accept and .../{id}/decline, DELETE .../{id}."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Task
from tasks_app.workspaces import invitations
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace

Api = Callable[[User | None], APIClient]


@pytest.fixture
def invitation(alice: User, charlie: User, team: Workspace) -> Invitation:
    return invitations.invite(alice, team, "charlie", Role.VIEWER)


def test_it_lists_received_and_sent_invitations(
    alice: User, bob: User, charlie: User, invitation: Invitation, api: Api
) -> None:
    received = api(charlie).get("/api/v1/invitations").json()
    assert [i["id"] for i in received["received"]] == [invitation.pk]
    assert received["received"][0]["invited_by"]["username"] == "alice"
    assert received["sent"] == []
    sent = api(alice).get("/api/v1/invitations").json()
    assert sent["received"] == [] and [i["id"] for i in sent["sent"]] == [invitation.pk]
    # An editor of the workspace did not send it and may not revoke it.
    assert api(bob).get("/api/v1/invitations").json() == {"received": [], "sent": []}


def test_accepting_joins_the_workspace_with_the_invitations_role(
    alice: User,
    charlie: User,
    team: Workspace,
    invitation: Invitation,
    api: Api,
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, workspace=team)
    client = api(charlie)
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    response = client.post(f"/api/v1/invitations/{invitation.pk}/accept")
    assert response.status_code == 200
    assert response.json()["id"] == team.pk and response.json()["role"] == "viewer"
    assert Membership.objects.get(workspace=team, user=charlie).role == Role.VIEWER
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 200
    again = client.post(f"/api/v1/invitations/{invitation.pk}/accept")
    assert again.status_code == 409 and again.json()["code"] == "already_answered"


def test_declining_joins_nothing(
    charlie: User, team: Workspace, invitation: Invitation, api: Api
) -> None:
    response = api(charlie).post(f"/api/v1/invitations/{invitation.pk}/decline")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert not Membership.objects.filter(workspace=team, user=charlie).exists()
    assert api(charlie).post(f"/api/v1/invitations/{invitation.pk}/accept").status_code == 409


def test_only_the_invitee_answers(
    alice: User, bob: User, dave: User, invitation: Invitation, api: Api
) -> None:
    # A member of the workspace sees it exists but may not answer for charlie.
    assert api(alice).post(f"/api/v1/invitations/{invitation.pk}/accept").status_code == 403
    outsider = User.objects.create_user(email="eve@example.org", username="eve", password="x")
    assert api(outsider).post(f"/api/v1/invitations/{invitation.pk}/accept").status_code == 404
    assert api(outsider).post(f"/api/v1/invitations/{invitation.pk}/decline").status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_an_admin_revokes(alice: User, charlie: User, invitation: Invitation, api: Api) -> None:
    assert api(alice).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 204
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    response = api(charlie).post(f"/api/v1/invitations/{invitation.pk}/accept")
    assert response.status_code == 409 and response.json()["code"] == "already_answered"


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_editors_and_viewers_cannot_revoke(
    who: str, invitation: Invitation, api: Api, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    assert api(user).delete(f"/api/v1/invitations/{invitation.pk}").status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


@pytest.mark.parametrize("bad", ["999999", "not-a-number"])
def test_it_answers_404_for_a_missing_invitation(bad: str, charlie: User, api: Api) -> None:
    response = api(charlie).post(f"/api/v1/invitations/{bad}/accept")
    assert response.status_code == 404 and response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_two_accepts_at_once_make_one_membership(
    alice: User, charlie: User, team: Workspace
) -> None:
    invitation = invitations.invite(alice, team, "charlie", Role.EDITOR)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def accept() -> None:
        start.wait()
        try:
            invitations.accept_invitation(charlie, Invitation.objects.get(pk=invitation.pk))
            outcomes.append("joined")
        except invitations.Refused as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["already_answered", "joined"]
    assert Membership.objects.filter(workspace=team, user=charlie).count() == 1


def test_a_script_finds_the_invitation_in_its_notifications(
    charlie: User, team: Workspace, invitation: Invitation, api: Api
) -> None:
    client = api(charlie)
    [notification] = client.get("/api/v1/notifications").json()["notifications"]
    assert notification["event"] == "workspace.invited"
    assert notification["invitation_id"] == invitation.pk
    assert notification["message"] == "Alice Owner invited you to the workspace “Newsroom”."
    accepted = client.post(f"/api/v1/invitations/{notification['invitation_id']}/accept")
    assert accepted.status_code == 200
