"""Workspaces in a real browser, English and Persian: an admin creates a workspace and invites
someone, who accepts from the notifications page in place (htmx) and then sees the workspace as a
viewer; the workspace pages fit a phone without sideways scrolling and pass axe-core (the
checks of test_accessibility)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.test_accessibility import violations
from tasks_app.workspaces import invitations
from tasks_app.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": {
        "name": "Workspace name",
        "create": "Create workspace",
        "who": "Email or username",
        "role": "Role",
        "viewer": "Viewer",
        "invite": "Invite",
        "accept": "Accept",
        "accepted": "Accepted.",
        "open": "Open the workspace",
    },
    "fa": {
        "name": "نام فضای کاری",
        "create": "ساختن فضای کاری",
        "who": "ایمیل یا نام کاربری",
        "role": "نقش",
        "viewer": "بیننده",
        "invite": "دعوت",
        "accept": "پذیرفتن",
        "accepted": "پذیرفته شد.",
        "open": "باز کردن فضای کاری",
    },
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_admin_invites_and_the_invitee_accepts_in_place(
    visit: Callable[..., Page], alice: User, charlie: User, language: str
) -> None:
    text = TEXT[language]
    page = visit("/workspaces", alice, language)
    page.get_by_label(text["name"]).fill("Newsroom")
    page.get_by_role("button", name=text["create"]).click()
    expect(page.locator("h1")).to_have_text("Newsroom")
    page.get_by_label(text["who"]).fill("charlie@example.org")
    page.get_by_label(text["role"], exact=True).select_option(Role.VIEWER.value)
    page.get_by_role("button", name=text["invite"], exact=True).click()
    expect(page.locator("#pending-invitations")).to_contain_text("charlie")

    page = visit("/notifications", charlie, language)
    page.get_by_role("button", name=text["accept"]).click()
    answer = page.locator(".invitation-answer")
    expect(answer).to_contain_text(text["accepted"])
    # Swapped in place: still the notifications page, no reload.
    assert page.url.endswith("/notifications")
    workspace = Workspace.objects.get(name="Newsroom")
    assert Membership.objects.get(workspace=workspace, user=charlie).role == Role.VIEWER
    answer.get_by_role("link", name=text["open"]).click()
    expect(page.locator("#member-list")).to_contain_text(text["viewer"])
    expect(page.locator("#invite")).to_have_count(0)


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_pages_fit_the_screen_and_pass_axe(
    visit: Callable[..., Page],
    alice: User,
    charlie: User,
    team: Workspace,
    language: str,
    size: str,
) -> None:
    invitations.invite(alice, team, "charlie", Role.EDITOR)
    pages = [
        (alice, "/workspaces"),
        (alice, f"/workspaces/{team.pk}"),
        (charlie, "/workspaces/invitations"),
        (charlie, "/notifications"),
    ]
    for user, path in pages:
        page = visit(path, user, language, size)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
        page.add_script_tag(content=AXE_SCRIPT)
        assert violations(page) == [], path
    # On the workspace page every member's role control stays inside the page's content.
    page = visit(f"/workspaces/{team.pk}", alice, language, size)
    expect(page.locator("#member-list .member-row")).to_have_count(3)
    main = page.locator("main").bounding_box()
    assert main is not None
    for select in page.locator("#member-list select").all():
        box = select.bounding_box()
        assert box is not None
        assert main["x"] <= box["x"] and box["x"] + box["width"] <= main["x"] + main["width"] + 1
