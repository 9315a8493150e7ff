"""Two people working together in a real browser, as issue 16 walks it: alice makes a workspace
and invites bob; bob accepts from his notifications; alice adds a to-do there, assigns it to bob
and mentions him in a comment; bob finds both notifications and the task; a tag filters the
dashboard down to it; a schedule's "Run now" makes the next to-do. English and Persian."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task
from tasks_app.schedules.models import Schedule
from tasks_app.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "create": "Create workspace",
        "invite": "Invite",
        "accept": "Accept",
        "accepted": "Accepted.",
        "add_todo": "Add to-do",
        "save": "Save changes",
        "post": "Post comment",
        "add_tag": "Add tag",
        "assigned": "Alice Owner assigned “Check the quotes” to you.",
        "mentioned": "Alice Owner mentioned you on “Check the quotes”.",
    },
    "fa": {
        "create": "ساختن فضای کاری",
        "invite": "دعوت",
        "accept": "پذیرفتن",
        "accepted": "پذیرفته شد.",
        "add_todo": "افزودن کار",
        "save": "ذخیرهٔ تغییرات",
        "post": "ثبت نظر",
        "add_tag": "افزودن برچسب",
        "assigned": "Alice Owner «Check the quotes» را به شما واگذار کرد.",
        "mentioned": "Alice Owner در «Check the quotes» از شما نام برد.",
    },
}


@pytest.fixture
def second_browser(browser: Browser, site: str) -> Iterator[Callable[[User, str], Page]]:
    """`as_(bob, "fa")`: a page in a browser of bob's own (his cookies, not alice's)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)

    def sign_in(user: User, language: str) -> Page:
        context.add_cookies(
            [
                {"name": "django_language", "value": language, "url": site},
                {"name": "access_token", "value": issue_tokens(user)[0], "url": site},
            ]
        )
        return context.new_page()

    yield sign_in
    context.close()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_two_people_work_on_a_task_together(
    visit: Callable[..., Page],
    second_browser: Callable[[User, str], Page],
    site: str,
    alice: User,
    bob: User,
    language: str,
) -> None:
    words = WORDS[language]
    bob_page = second_browser(bob, language)

    # alice makes the workspace and invites bob as an editor.
    page = visit("/workspaces", alice, language)
    page.locator("input[name=name]").fill("Newsroom")
    page.get_by_role("button", name=words["create"]).click()
    expect(page.locator("h1")).to_have_text("Newsroom")
    page.locator("#invite input[name=user]").fill("bob")
    page.locator("#invite select[name=role]").select_option(Role.EDITOR.value)
    page.get_by_role("button", name=words["invite"], exact=True).click()
    expect(page.locator("#pending-invitations")).to_contain_text("bob")
    newsroom = Workspace.objects.get(name="Newsroom")

    # bob accepts from his notifications.
    bob_page.goto(site + "/notifications")
    bob_page.get_by_role("button", name=words["accept"]).click()
    expect(bob_page.locator(".invitation-answer")).to_contain_text(words["accepted"])
    assert Membership.objects.get(workspace=newsroom, user=bob).role == Role.EDITOR

    # alice adds a to-do in the workspace, then assigns it to bob on its edit page.
    page.goto(site + "/dashboard")
    page.locator("#id_title").fill("Check the quotes")
    page.locator("#id_todo_workspace").select_option(str(newsroom.pk))
    page.get_by_role("button", name=words["add_todo"]).click()
    task = Task.objects.get(title="Check the quotes")
    assert task.workspace == newsroom
    page.goto(site + f"/dashboard/tasks/{task.pk}/edit")
    page.locator("#id_assignee").select_option(str(bob.pk))
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator("h1")).to_contain_text("Check the quotes")

    # …and mentions him in a comment.
    page.locator("#comment-body").fill("@bob please check the second quote")
    page.locator("#comments").get_by_role("button", name=words["post"]).click()
    expect(page.locator("#comments .comment .mention")).to_have_text("@bob")

    # bob sees both notifications and follows one to the task.
    bob_page.goto(site + "/notifications")
    expect(bob_page.get_by_role("link", name=words["assigned"])).to_be_visible()
    bob_page.get_by_role("link", name=words["mentioned"]).click()
    expect(bob_page.locator("h1")).to_contain_text("Check the quotes")
    expect(bob_page.locator("#comments .comment")).to_contain_text("second quote")

    # bob tags it; the tag filters his dashboard down to it.
    Task.objects.create(user=alice, workspace=newsroom, title="Untagged work")
    bob_page.locator(".tag-add input[name=name]").first.fill("Fact check")
    bob_page.get_by_role("button", name=words["add_tag"]).first.click()
    expect(bob_page.locator(".tag-chip", has_text="Fact check").first).to_be_visible()
    bob_page.goto(site + "/dashboard")
    expect(bob_page.locator(".task-card", has_text="Untagged work")).to_have_count(1)
    bob_page.locator("fieldset.tag-filter label", has_text="Fact check").click()
    expect(bob_page.locator(".task-card", has_text="Untagged work")).to_have_count(0)
    expect(bob_page.locator(".task-card", has_text="Check the quotes")).to_have_count(1)

    # A schedule in the workspace: "Run now" makes the next to-do, which bob sees.
    page.goto(site + "/schedules/new")
    page.locator("#schedule-workspace").select_option(str(newsroom.pk))
    page.locator("#schedule-name").fill("Weekly fact check")
    page.locator("#schedule-cron").fill("0 9 * * 1")
    page.locator("#schedule-title").fill("Fact check %Y-%m-%d")
    page.locator("#schedule-save").click()
    expect(page.locator("h1")).to_have_text("Weekly fact check")
    page.locator("#run-now").click()
    expect(page.locator("#executions tbody tr")).to_have_count(1)
    made = Schedule.objects.get().executions.get().task
    assert made is not None and made.workspace == newsroom
    bob_page.goto(site + "/dashboard")
    expect(bob_page.locator(".task-card", has_text=made.title)).to_have_count(1)
