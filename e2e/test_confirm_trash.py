"""Destructive actions in a real browser: one in-page dialog (never the browser's confirm()) asks
before delete, cancel, revoke and sign-out-everywhere; deleted tasks wait in the Trash, restorable
until purged; the new API token has a Copy button; a webhook's secret hides until asked and a
test delivery reports the receiver's answer. English and Persian."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from accounts.models import ApiToken, User
from tasks_app.integrations.models import Webhook
from tasks_app.integrations.webhooks import create_webhook
from tasks_app.models import Kind, Status, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each action at a desk and on a phone (where the navigation sits behind the menu button); the
# phone runs go with `make test-slow`.
both_sizes = pytest.mark.parametrize(
    "size", ["desktop", pytest.param("phone", marks=pytest.mark.slow)]
)

WORDS = {
    "en": {
        "delete": "Delete",
        "go_back": "Go back",
        "trash": "Trash",
        "restore": "Restore",
        "delete_now": "Delete now",
        "revoke": "Revoke",
        "copy": "Copy",
        "copied": "Copied",
        "show_secret": "Show secret",
        "test": "Send a test delivery",
        "tested": "Test delivery succeeded: the receiver answered HTTP 200.",
        "moved": "Task moved to the Trash.",
        "sign_out_everywhere": "Sign out everywhere",
        "cancel": "Cancel transcription",
    },
    "fa": {
        "delete": "حذف",
        "go_back": "بازگشت",
        "trash": "سطل زباله",
        "restore": "برگرداندن",
        "delete_now": "همین حالا حذف شود",
        "revoke": "باطل کردن",
        "copy": "رونوشت",
        "copied": "رونوشت شد",
        "show_secret": "نمایش رمز",
        "test": "ارسال آزمایشی",
        "tested": "ارسال آزمایشی موفق بود: گیرنده با HTTP ۲۰۰ پاسخ داد.",
        "moved": "کار به سطل زباله رفت.",
        "sign_out_everywhere": "خروج از همه‌جا",
        "cancel": "لغو رونویسی",
    },
}


@pytest.fixture
def no_native_dialogs(page: Page) -> Iterator[list[str]]:
    """Every window.confirm/alert the page opens; the tests expect none."""
    opened: list[str] = []

    def refuse(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    yield opened
    assert opened == []


def focus_is_in_dialog(page: Page) -> bool:
    return bool(
        page.evaluate("document.getElementById('confirm-dialog').contains(document.activeElement)")
    )


@both_sizes
@pytest.mark.parametrize("language", ["en", "fa"])
def test_deleting_asks_in_the_page_and_the_trash_restores_and_deletes_for_good(
    page: Page,
    site: str,
    visit: Callable[..., Page],
    alice: User,
    language: str,
    size: str,
    no_native_dialogs: list[str],
) -> None:
    words = WORDS[language]
    task = Task.objects.create(user=alice, title="Buy stamps")
    visit("/dashboard", alice, language, size)
    card = page.locator(f"#task-{task.pk}")
    delete = card.get_by_role("button", name=words["delete"])
    dialog = page.locator("#confirm-dialog")

    # Escape cancels: nothing happens and focus comes back to the button.
    delete.click()
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-ok")).to_have_text(words["delete"])
    assert focus_is_in_dialog(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.closest('form').action").endswith("/delete")
    # "Go back" cancels too.
    delete.click()
    dialog.get_by_role("button", name=words["go_back"]).click()
    expect(dialog).to_be_hidden()
    task.refresh_from_db()
    assert task.deleted_at is None

    # Confirmed with the keyboard: Tab to the action, Enter.
    delete.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(words["moved"])
    expect(card).to_have_count(0)

    page.get_by_role("link", name=words["trash"], exact=True).click()
    item = page.locator(f"#trash-{task.pk}")
    expect(item).to_contain_text("Buy stamps")
    expect(item.locator(".purge-after time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    item.get_by_role("button", name=words["restore"]).click()
    expect(page.locator(f"#trash-{task.pk}")).to_have_count(0)
    task.refresh_from_db()
    assert task.deleted_at is None

    # Into the Trash again, then gone for good.
    page.goto(f"{site}/dashboard")
    page.locator(f"#task-{task.pk}").get_by_role("button", name=words["delete"]).click()
    dialog.locator("#confirm-ok").click()
    expect(page.locator(f"#task-{task.pk}")).to_have_count(0)
    page.goto(f"{site}/dashboard/trash")
    page.locator(f"#trash-{task.pk}").get_by_role("button", name=words["delete_now"]).click()
    expect(dialog.locator("#confirm-ok")).to_have_text(words["delete_now"])
    dialog.locator("#confirm-ok").click()
    expect(page.locator(f"#trash-{task.pk}")).to_have_count(0)
    assert not Task.objects.filter(pk=task.pk).exists()


@both_sizes
@pytest.mark.parametrize("language", ["en", "fa"])
def test_cancel_and_sign_out_everywhere_ask_first(
    page: Page,
    site: str,
    visit: Callable[..., Page],
    alice: User,
    language: str,
    size: str,
    no_native_dialogs: list[str],
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
    visit(f"/dashboard/tasks/{task.pk}", alice, language, size)
    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    task.refresh_from_db()
    assert task.status == Status.PROCESSING

    page.goto(f"{site}/account")
    page.get_by_role("button", name=words["sign_out_everywhere"]).click()
    expect(page.locator("#confirm-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page).to_have_url(f"{site}/account")


@both_sizes
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_new_token_copies_and_revoking_asks_first(
    page: Page,
    site: str,
    visit: Callable[..., Page],
    alice: User,
    language: str,
    size: str,
    no_native_dialogs: list[str],
) -> None:
    words = WORDS[language]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    visit("/account/integrations", alice, language, size)
    page.locator("#api-tokens input[name=name]").fill("laptop")
    page.locator("#api-tokens form button[type=submit]").first.click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("wrt_")
    page.get_by_role("button", name=words["copy"], exact=True).click()
    expect(page.locator(".copy-status")).to_have_text(words["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == token

    page.goto(f"{site}/account/integrations")
    page.get_by_role("button", name=words["revoke"]).click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("laptop")
    dialog.locator("#confirm-ok").click()
    expect(page.get_by_role("button", name=words["revoke"])).to_have_count(0)
    assert ApiToken.objects.get(user=alice).revoked_at is not None


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                receiver.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@both_sizes
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_webhook_hides_its_secret_sends_a_test_and_asks_before_deleting(
    page: Page,
    visit: Callable[..., Page],
    alice: User,
    language: str,
    size: str,
    settings: Any,
    no_native_dialogs: list[str],
) -> None:
    words = WORDS[language]
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    receiver = Receiver()
    try:
        webhook = create_webhook(alice, receiver.url)
        visit("/account/integrations", alice, language, size)
        # Not in the page at all until asked for: fetched from the owner-only endpoint.
        assert webhook.secret not in page.content()
        page.get_by_text(words["show_secret"]).click()
        secret = page.get_by_text(webhook.secret)
        expect(secret).to_be_visible()
        expect(secret).to_be_focused()

        page.get_by_role("button", name=words["test"]).click()
        expect(page.locator(".messages")).to_contain_text(words["tested"])
        assert len(receiver.bodies) == 1 and b"webhook.test" in receiver.bodies[0]

        page.locator("#webhooks").get_by_role("button", name=words["delete"]).click()
        page.keyboard.press("Escape")
        assert Webhook.objects.filter(pk=webhook.pk).exists()
        page.locator("#webhooks").get_by_role("button", name=words["delete"]).click()
        page.locator("#confirm-ok").click()
        expect(page.locator("#webhooks .webhook-secret")).to_have_count(0)
        assert not Webhook.objects.filter(pk=webhook.pk).exists()
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def test_an_htmx_request_with_data_confirm_waits_for_the_dialog(
    page: Page, visit: Callable[..., Page], alice: User, no_native_dialogs: list[str]
) -> None:
    # No page sends a destructive htmx request yet; the dialog is ready for the first one.
    task = Task.objects.create(user=alice, title="Buy stamps")
    visit("/dashboard", alice)
    page.evaluate(
        """(url) => {
            const button = document.createElement("button");
            button.id = "htmx-delete";
            button.textContent = "Remove";
            button.setAttribute("hx-post", url);
            button.setAttribute("hx-swap", "none");
            button.dataset.confirm = "Remove it?";
            document.querySelector("main").append(button);
            htmx.process(button);
        }""",
        f"/dashboard/tasks/{task.pk}/delete",
    )
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.locator("#htmx-delete").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Remove it?")
    expect(dialog.locator("#confirm-ok")).to_have_text("Remove")
    page.keyboard.press("Escape")
    expect(page.locator("#htmx-delete")).to_be_focused()
    assert not [url for url in requests if url.endswith("/delete")]
    page.locator("#htmx-delete").click()
    with page.expect_response(lambda response: response.url.endswith("/delete")):
        dialog.locator("#confirm-ok").click()
    task.refresh_from_db()
    assert task.deleted_at is not None
