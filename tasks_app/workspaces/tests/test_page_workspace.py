"""/workspaces/<id> and its forms: members for everyone in it; invite, change role, remove,
rename and delete for admins; leave for members (who may do what: test_page_access)."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.integrations.models import Notification
from tasks_app.models import Task
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace


def page(team: Workspace, action: str = "") -> str:
    return f"/workspaces/{team.pk}" + (f"/{action}" if action else "")


def test_a_viewer_sees_the_members_and_no_admin_forms(
    client: Client, dave: User, team: Workspace
) -> None:
    signed_in(client, dave)
    body = client.get(page(team)).content.decode()
    assert "Alice Owner" in body and "bob" in body and "Editor" in body
    assert page(team, "invite") not in body and page(team, "delete") not in body
    assert page(team, "leave") in body
    # Its tasks, tags and schedules are a click away.
    for link in (f"/dashboard?workspace={team.pk}", page(team, "tags"), f"?workspace={team.pk}"):
        assert f'href="{link}' in body or f'href="/schedules{link}' in body


def test_an_admin_invites_by_username(
    client: Client, alice: User, charlie: User, team: Workspace
) -> None:
    signed_in(client, alice)
    response = client.post(page(team, "invite"), {"user": "charlie", "role": "viewer"})
    assert response["Location"] == page(team)
    invitation = Invitation.objects.get()
    assert (invitation.user, invitation.role) == (charlie, Role.VIEWER)
    assert Notification.objects.filter(user=charlie, invitation=invitation).exists()
    body = client.get(page(team)).content.decode()
    assert "charlie is invited as Viewer." in body
    assert f"/workspaces/invitations/{invitation.pk}/revoke" in body


def test_it_says_why_an_invitation_cannot_be_sent(
    client: Client, alice: User, team: Workspace
) -> None:
    signed_in(client, alice)
    unknown = client.post(page(team, "invite"), {"user": "nobody", "role": "editor"})
    assert unknown.status_code == 400
    assert "they need an account first" in unknown.content.decode()
    member = client.post(page(team, "invite"), {"user": "bob", "role": "editor"})
    assert "already a member" in member.content.decode()


def test_an_admin_changes_a_role_but_not_the_last_admins(
    client: Client, alice: User, dave: User, team: Workspace
) -> None:
    signed_in(client, alice)
    client.post(page(team, f"members/{dave.pk}/role"), {"role": "editor"})
    assert Membership.objects.get(workspace=team, user=dave).role == Role.EDITOR
    response = client.post(page(team, f"members/{alice.pk}/role"), {"role": "viewer"}, follow=True)
    assert "A workspace needs an admin" in response.content.decode()
    assert Membership.objects.get(workspace=team, user=alice).role == Role.ADMIN


def test_removing_asks_first_then_ends_access_and_unassigns(
    client: Client, alice: User, bob: User, team: Workspace, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, workspace=team, assignee=bob)
    signed_in(client, alice)
    asked = client.post(page(team, f"members/{bob.pk}/remove"))
    assert "Are you sure?" in asked.content.decode()
    assert Membership.objects.filter(workspace=team, user=bob).exists()
    client.post(page(team, f"members/{bob.pk}/remove"), {"confirm": "1"})
    assert not Membership.objects.filter(workspace=team, user=bob).exists()
    task.refresh_from_db()
    assert task.assignee is None
    bobs = Client()
    signed_in(bobs, bob)
    assert bobs.get(f"/dashboard/tasks/{task.pk}").status_code == 404


def test_a_member_leaves_but_the_last_admin_cannot(
    client: Client, alice: User, dave: User, team: Workspace
) -> None:
    signed_in(client, dave)
    assert client.post(page(team, "leave"), {"confirm": "1"})["Location"] == "/workspaces"
    assert not Membership.objects.filter(workspace=team, user=dave).exists()
    signed_in(client, alice)
    response = client.post(page(team, "leave"), {"confirm": "1"}, follow=True)
    assert "A workspace needs an admin" in response.content.decode()


def test_an_admin_renames_and_deletes_an_empty_workspace(
    client: Client, alice: User, team: Workspace, make_task: Callable[..., Task]
) -> None:
    signed_in(client, alice)
    client.post(page(team, "rename"), {"name": "Desk"})
    assert Workspace.objects.get(pk=team.pk).name == "Desk"
    make_task(alice, workspace=team)
    refused = client.post(page(team, "delete"), {"confirm": "1"}, follow=True)
    assert "still holds 1 tasks" in refused.content.decode()
    Task.objects.filter(workspace=team).delete()
    assert client.post(page(team, "delete"), {"confirm": "1"})["Location"] == "/workspaces"
    assert not Workspace.objects.filter(pk=team.pk).exists()


def test_the_personal_workspace_has_no_sharing_forms(client: Client, alice: User) -> None:
    signed_in(client, alice)
    body = client.get(page(alice.personal_workspace)).content.decode()
    assert "yours alone" in body
    assert "invite" not in body and "leave" not in body
