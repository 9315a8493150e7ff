"""Without JavaScript the destructive buttons still ask first: cancel, revoke a token, delete a
webhook and sign out everywhere each lead to a page asking "Are you sure?" (Go back leaves
everything as it was); only its own button acts. The webhook's secret opens on a page of its
own. English and Persian."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.api_tokens import create_api_token
from accounts.models import ApiToken, User
from tasks_app.integrations.models import Webhook
from tasks_app.models import Kind, Status, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "sure": "Are you sure?",
        "go_back": "Go back",
        "cancel": "Cancel transcription",
        "revoke": "Revoke",
        "delete": "Delete",
        "sign_out_everywhere": "Sign out everywhere",
        "show_secret": "Show secret",
    },
    "fa": {
        "sure": "مطمئن هستید؟",
        "go_back": "بازگشت",
        "cancel": "لغو رونویسی",
        "revoke": "باطل کردن",
        "delete": "حذف",
        "sign_out_everywhere": "خروج از همه‌جا",
        "show_secret": "نمایش رمز",
    },
}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """The conftest's page, with JavaScript turned off."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def asks(page: Page, words: dict[str, str], button: str) -> None:
    expect(page.locator("h1")).to_have_text(words["sure"])
    expect(page.locator("main").get_by_role("button", name=button)).to_be_visible()


@pytest.mark.parametrize("language", ["en", "fa"])
def test_without_javascript_destructive_buttons_ask_on_a_page_first(
    page: Page, visit: Callable[..., Page], site: str, alice: User, language: str
) -> None:
    words = WORDS[language]
    task = Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Long interview",
        status=Status.PROCESSING,
        file_path="uploads/missing.flac",
        original_filename="interview.flac",
    )
    _token, _raw = create_api_token(alice, "laptop")
    webhook = Webhook.objects.create(user=alice, url="https://hooks.example.org/w", secret="s" * 32)

    # Cancel: asked, Go back changes nothing, then confirmed.
    visit(f"/dashboard/tasks/{task.pk}", alice, language)
    page.get_by_role("button", name=words["cancel"]).click()
    asks(page, words, words["cancel"])
    page.get_by_role("link", name=words["go_back"]).click()
    expect(page).to_have_url(f"{site}/dashboard/tasks/{task.pk}")
    task.refresh_from_db()
    assert task.status == Status.PROCESSING
    page.get_by_role("button", name=words["cancel"]).click()
    page.locator("main").get_by_role("button", name=words["cancel"]).click()
    expect(page).to_have_url(f"{site}/dashboard/tasks/{task.pk}")
    task.refresh_from_db()
    assert task.status == Status.CANCELLED

    # The webhook's secret is a page of its own.
    page.goto(f"{site}/account/integrations")
    assert webhook.secret not in page.content()
    page.get_by_role("link", name=words["show_secret"]).click()
    expect(page.get_by_text(webhook.secret)).to_be_visible()

    # Revoke a token.
    page.goto(f"{site}/account/integrations")
    page.get_by_role("button", name=words["revoke"]).click()
    asks(page, words, words["revoke"])
    expect(page.locator("main")).to_contain_text("laptop")
    assert ApiToken.objects.get(user=alice).revoked_at is None
    page.locator("main").get_by_role("button", name=words["revoke"]).click()
    expect(page.get_by_role("button", name=words["revoke"])).to_have_count(0)
    assert ApiToken.objects.get(user=alice).revoked_at is not None

    # Delete the webhook.
    page.locator("#webhooks").get_by_role("button", name=words["delete"]).click()
    asks(page, words, words["delete"])
    assert Webhook.objects.filter(pk=webhook.pk).exists()
    page.locator("main").get_by_role("button", name=words["delete"]).click()
    expect(page.locator("#webhooks .webhook-secret")).to_have_count(0)
    assert not Webhook.objects.filter(pk=webhook.pk).exists()

    # Sign out everywhere.
    page.goto(f"{site}/account")
    page.get_by_role("button", name=words["sign_out_everywhere"]).click()
    asks(page, words, words["sign_out_everywhere"])
    expect(page).to_have_url(f"{site}/account")
    page.locator("main").get_by_role("button", name=words["sign_out_everywhere"]).click()
    expect(page).to_have_url(f"{site}/login")
