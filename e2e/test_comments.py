"""Comments in a real browser, English and Persian: a viewer comments with a mention (posted in
place, the box cleared), the mentioned assignee finds the notification and follows it to the
comment; the author edits in place and deletes through the page's dialog; on a phone a long
comment stays inside the screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.comments import services
from tasks_app.models import Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "heading": "Comments",
        "post": "Post comment",
        "mentioned": "dave mentioned you on “Interview”.",
        "save": "Save",
        "edited": "edited",
        "empty": "No comments yet.",
    },
    "fa": {
        "heading": "نظرها",
        "post": "ثبت نظر",
        "mentioned": "dave در «Interview» از شما نام برد.",
        "save": "ذخیره",
        "edited": "ویرایش‌شده",
        "empty": "هنوز نظری نوشته نشده است.",
    },
}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_mention_reaches_the_assignee(
    language: str, alice: User, bob: User, dave: User, team: Any, visit: Callable[..., Page]
) -> None:
    words = WORDS[language]
    task = Task.objects.create(user=alice, title="Interview", workspace=team, assignee=bob)
    page = visit(f"/dashboard/tasks/{task.pk}", dave, language)
    section = page.locator("#comments")
    expect(section.get_by_role("heading", name=words["heading"])).to_be_visible()
    expect(section).to_contain_text(words["empty"])

    page.locator("#comment-body").fill("@bob can you check the **intro**?")
    section.get_by_role("button", name=words["post"]).click()
    comment = section.locator(".comment")
    expect(comment.locator(".mention")).to_have_text("@bob")
    expect(comment.locator(".comment-body strong")).to_have_text("intro")
    expect(page.locator("#comment-body")).to_have_value("")
    expect(section.locator(".comment-empty")).to_be_hidden()

    # The author edits in place: the form replaces the comment, Save brings it back changed.
    comment.locator(".comment-actions a").click()
    page.locator(".comment.is-editing textarea").fill("@bob can you check the intro and outro?")
    page.get_by_role("button", name=words["save"]).click()
    expect(comment).to_contain_text("intro and outro")
    expect(comment.locator(".comment-edited")).to_have_text(words["edited"])

    bob_page = visit("/notifications", bob, language)
    link = bob_page.get_by_role("link", name=words["mentioned"])
    expect(link).to_be_visible()
    link.click()
    expect(bob_page.locator("#comments .comment")).to_contain_text("intro and outro")


def test_a_long_comment_stays_on_a_phone_and_deletes_through_the_dialog(
    alice: User, visit: Callable[..., Page]
) -> None:
    task = Task.objects.create(user=alice, title="Interview")
    services.add_comment(task, alice, "بلند " + "x" * 300 + "\n\n```\n" + "y" * 300 + "\n```")
    page = visit(f"/dashboard/tasks/{task.pk}", alice, "fa", "phone")
    expect(page.locator("#comments .comment")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0

    page.locator("#comments .comment .btn-danger").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#confirm-ok").click()
    expect(page.locator("#comments .comment")).to_have_count(0)
    expect(page.locator("#comments")).to_contain_text(WORDS["fa"]["empty"])
    assert task.comments.get().deleted_at is not None
