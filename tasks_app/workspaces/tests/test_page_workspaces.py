"""GET/POST /workspaces: the user's workspaces with their role, and the create form."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app.workspaces.models import Membership, Role, Workspace


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get("/workspaces")["Location"] == "/login?next=/workspaces"


def test_it_lists_the_users_workspaces_with_roles(
    client: Client, dave: User, charlie: User, team: Workspace
) -> None:
    Workspace.objects.create(name="Charlie's club", created_by=charlie)
    signed_in(client, dave)
    body = client.get("/workspaces").content.decode()
    assert "Personal" in body and "Newsroom" in body and "Viewer" in body
    assert "3 members" in body
    assert "Charlie" not in body
    assert 'href="/workspaces"' in body  # the header's link


def test_it_creates_a_workspace_and_opens_it(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post("/workspaces", {"name": "Radio desk"})
    workspace = Workspace.objects.get(name="Radio desk")
    assert response["Location"] == f"/workspaces/{workspace.pk}"
    assert Membership.objects.get(workspace=workspace).role == Role.ADMIN
    assert "Workspace “Radio desk” created." in client.get(response["Location"]).content.decode()


def test_it_shows_what_is_wrong_with_the_name(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post("/workspaces", {"name": "   "})
    assert response.status_code == 400
    assert "field-invalid" in response.content.decode()
    assert not Workspace.objects.filter(personal_owner__isnull=True).exists()


def test_it_speaks_persian(client: Client, alice: User, team: Workspace) -> None:
    signed_in(client, alice)
    client.cookies["django_language"] = "fa"
    body = client.get("/workspaces").content.decode()
    assert 'dir="rtl"' in body
    assert "فضاهای کاری" in body and "شخصی" in body and "مدیر" in body
