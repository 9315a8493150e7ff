"""GET/POST /api/v1/workspaces/{id}/members and PATCH/DELETE .../members/{user_id}: the member
list, inviting, changing roles, removing and leaving."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Task
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace

Api = Callable[[User | None], APIClient]


def members_url(team: Workspace, user: User | None = None) -> str:
    url = f"/api/v1/workspaces/{team.pk}/members"
    return f"{url}/{user.pk}" if user is not None else url


def test_it_lists_members_to_any_member(
    alice: User, bob: User, dave: User, team: Workspace, api: Api
) -> None:
    body = api(dave).get(members_url(team)).json()
    roles = {member["user"]["username"]: member["role"] for member in body["members"]}
    assert roles == {"alice": "admin", "bob": "editor", "dave": "viewer"}
    assert set(body["members"][0]["user"]) == {"id", "username", "full_name", "email"}


@pytest.mark.parametrize("who", ["charlie@example.org", "CHARLIE", " charlie "])
def test_it_invites_by_email_or_username_and_notifies(
    who: str, alice: User, charlie: User, team: Workspace, api: Api
) -> None:
    response = api(alice).post(members_url(team), {"user": who, "role": "viewer"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["username"] == "charlie" and body["role"] == "viewer"
    assert body["status"] == "pending" and body["workspace"] == {"id": team.pk, "name": "Newsroom"}
    notification = Notification.objects.get(user=charlie)
    assert notification.event == TaskEvent.Kind.INVITED
    assert notification.invitation_id == body["id"] and notification.actor == alice
    # Invited is not a member yet.
    assert not Membership.objects.filter(workspace=team, user=charlie).exists()


def test_it_refuses_an_unknown_person(alice: User, team: Workspace, api: Api) -> None:
    response = api(alice).post(members_url(team), {"user": "nobody@example.org"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_user"
    assert not Invitation.objects.exists()


def test_it_refuses_a_member_and_a_second_invitation(
    alice: User, charlie: User, team: Workspace, api: Api
) -> None:
    client = api(alice)
    member = client.post(members_url(team), {"user": "bob"}, format="json")
    assert member.status_code == 409 and member.json()["code"] == "already_member"
    assert client.post(members_url(team), {"user": "charlie"}, format="json").status_code == 201
    again = client.post(members_url(team), {"user": "charlie"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_invited"
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"user": "charlie", "role": "owner"}])
def test_it_refuses_bad_input(
    body: dict, alice: User, charlie: User, team: Workspace, api: Api
) -> None:
    assert api(alice).post(members_url(team), body, format="json").status_code == 400


def test_it_refuses_to_share_a_personal_workspace(alice: User, charlie: User, api: Api) -> None:
    personal = alice.personal_workspace
    response = api(alice).post(members_url(personal), {"user": "charlie"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "personal_workspace"


@pytest.mark.parametrize("who", ["bob", "dave"])
def test_only_admins_invite(
    who: str, charlie: User, team: Workspace, api: Api, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(who)
    response = api(user).post(members_url(team), {"user": "charlie"}, format="json")
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_it_changes_a_role(alice: User, dave: User, team: Workspace, api: Api) -> None:
    response = api(alice).patch(members_url(team, dave), {"role": "editor"}, format="json")
    assert response.status_code == 200 and response.json()["role"] == "editor"
    assert Membership.objects.get(workspace=team, user=dave).role == Role.EDITOR


def test_the_last_admin_cannot_be_demoted_or_leave(
    alice: User, bob: User, team: Workspace, api: Api
) -> None:
    demote = api(alice).patch(members_url(team, alice), {"role": "editor"}, format="json")
    assert demote.status_code == 409 and demote.json()["code"] == "last_admin"
    leave = api(alice).delete(members_url(team, alice))
    assert leave.status_code == 409 and "admin" in leave.json()["detail"]
    # With a second admin, the first may step down.
    api(alice).patch(members_url(team, bob), {"role": "admin"}, format="json")
    stepped_down = api(alice).patch(members_url(team, alice), {"role": "viewer"}, format="json")
    assert stepped_down.status_code == 200


def test_it_refuses_role_changes_to_editors(
    bob: User, dave: User, team: Workspace, api: Api
) -> None:
    response = api(bob).patch(members_url(team, dave), {"role": "admin"}, format="json")
    assert response.status_code == 403
    assert Membership.objects.get(workspace=team, user=dave).role == Role.VIEWER


def test_it_answers_404_for_someone_who_is_not_a_member(
    alice: User, charlie: User, team: Workspace, api: Api
) -> None:
    response = api(alice).patch(members_url(team, charlie), {"role": "admin"}, format="json")
    assert response.status_code == 404


def test_a_removed_member_loses_access_at_once_and_their_tasks_are_unassigned(
    alice: User, bob: User, team: Workspace, api: Api, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team, assignee=bob)
    bobs = make_task(bob, workspace=team)
    client = api(bob)
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 200
    assert api(alice).delete(members_url(team, bob)).status_code == 204
    # The same token, the very next request: the membership is asked on every request.
    assert client.get(f"/api/v1/tasks/{task.pk}").status_code == 404
    assert client.get(f"/api/v1/workspaces/{team.pk}").status_code == 404
    task.refresh_from_db()
    assert task.assignee is None
    # What bob made stays in the workspace for those still in it.
    assert api(alice).get(f"/api/v1/tasks/{bobs.pk}").status_code == 200


def test_a_member_may_leave(dave: User, team: Workspace, api: Api) -> None:
    assert api(dave).delete(members_url(team, dave)).status_code == 204
    assert not Membership.objects.filter(workspace=team, user=dave).exists()


def test_only_admins_remove_others(bob: User, dave: User, team: Workspace, api: Api) -> None:
    assert api(bob).delete(members_url(team, dave)).status_code == 403
    assert Membership.objects.filter(workspace=team, user=dave).exists()


def test_nobody_leaves_a_personal_workspace(alice: User, api: Api) -> None:
    response = api(alice).delete(members_url(alice.personal_workspace, alice))
    assert response.status_code == 409
    assert response.json()["code"] == "personal_workspace"
