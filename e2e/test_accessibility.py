"""Every page passes axe-core (run inside the real page) with no serious or critical violation,
nor one of the lesser findings fixed once and kept fixed (BLOCKING_RULES), signed in and out, in
English and in right-to-left Persian, at 1280×900 and at 390×844.

One browser context per language and sign-in state keeps the run short; a new page goes into
PAGES (a name, how to reach it from the cast, and optionally what to do there before checking).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from accounts.tokens import issue_tokens, make_reset_token
from conftest import PASSWORD, make_user
from e2e.conftest import SIZES
from tasks_app.integrations.models import Notification, TaskEvent, Webhook
from tasks_app.models import ErrorCode, Kind, Status, Task
from tasks_app.tests.conftest import RESULT

pytestmark = pytest.mark.browser

# Moderate and minor findings (a redundant landmark, say) are judgement calls; these are not.
BLOCKING = {"serious", "critical"}
# Lesser findings fixed once, which must stay fixed: a skipped heading level on the dashboard
# (h1 then the cards' h3) and a role a label may not take (the upload's drop area as a button).
BLOCKING_RULES = {"heading-order", "aria-allowed-role"}


@dataclass
class Cast:
    alice: User
    tasks: dict[str, Task] = field(default_factory=dict)


@dataclass
class AxePage:
    name: str
    path: Callable[[Cast], str]
    signed_in: bool = True
    # Whatever brings the page into the state worth checking (a form with its errors shown).
    then: Callable[[Page], None] | None = None
    # A page that only exists at one width (the phone menu); otherwise the run's width.
    width: int | None = None


def submit_empty(page: Page) -> None:
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()


def wrong_password(page: Page) -> None:
    page.locator("#id_email").fill("alice@example.org")
    page.locator("#id_password").fill("not the password")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()


def empty_upload(page: Page) -> None:
    page.locator("#upload-submit").click()
    expect(page.locator("#dropzone")).to_have_attribute("aria-invalid", "true")


def open_confirm(page: Page) -> None:
    page.locator("main form[data-confirm] button[type=submit]").first.click()
    expect(page.locator("#confirm-dialog")).to_be_visible()


def open_menu(page: Page) -> None:
    page.locator(".nav-toggle").click()
    expect(page.locator(".nav-toggle")).to_have_attribute("aria-expanded", "true")


def open_advanced(page: Page) -> None:
    page.locator("#upload-advanced > summary").click()
    expect(page.locator("#upload-advanced")).to_have_attribute("open", "")


def open_search(page: Page) -> None:
    # On a phone the dashboard's search and filters wait behind an icon.
    search = page.locator(".search-toggle")
    if search.is_visible() and search.get_attribute("aria-expanded") == "false":
        search.click()
        expect(page.locator("#task-filters")).to_be_visible()


def open_date_picker(page: Page) -> None:
    # The Jalali calendar exists on Persian pages only.
    toggle = page.locator(".jp-toggle").first
    if toggle.count():
        open_search(page)
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")


def edit_a_segment_and_find(page: Page) -> None:
    # The transcript workspace with a segment's form open and a find-and-replace preview.
    page.locator("#transcript-segments .seg-edit").first.click()
    # The form takes the focus a moment after it shows; typing before that would land in it.
    expect(page.locator(".seg-form textarea")).to_be_focused()
    page.locator("#find-text").fill("you")
    page.locator(".find-form button[type=submit]").click()
    expect(page.locator(".find-preview")).to_be_visible()


def task(status: str) -> Callable[[Cast], str]:
    return lambda cast: f"/dashboard/tasks/{cast.tasks[status].pk}"


SIGNED_OUT = [
    AxePage("login", lambda cast: "/login", signed_in=False),
    AxePage("login, wrong password", lambda cast: "/login", signed_in=False, then=wrong_password),
    AxePage("register", lambda cast: "/register", signed_in=False),
    AxePage("register, errors", lambda cast: "/register", signed_in=False, then=submit_empty),
    AxePage("forgot password", lambda cast: "/password/forgot", signed_in=False),
    AxePage(
        "reset password",
        lambda cast: f"/password/reset/{make_reset_token(cast.alice)}",
        signed_in=False,
    ),
    AxePage("404, signed out", lambda cast: "/no/such/page", signed_in=False),
]
# The empty dashboard is checked before the cast's tasks exist.
EMPTY = [AxePage("dashboard, empty", lambda cast: "/dashboard")]
SIGNED_IN = [
    AxePage("dashboard, every status", lambda cast: "/dashboard"),
    AxePage("dashboard, no match", lambda cast: "/dashboard?q=zzzz-nothing"),
    AxePage("upload", lambda cast: "/dashboard/upload"),
    AxePage("upload, nothing chosen", lambda cast: "/dashboard/upload", then=empty_upload),
    AxePage("upload, advanced", lambda cast: "/dashboard/upload", then=open_advanced),
    AxePage("dashboard, date picker", lambda cast: "/dashboard", then=open_date_picker),
    AxePage("dashboard, phone menu", lambda cast: "/dashboard", then=open_menu, width=390),
    AxePage("trash", lambda cast: "/dashboard/trash"),
    AxePage("task, queued", task(Status.IN_PROGRESS)),
    AxePage("task, running", task(Status.PROCESSING)),
    AxePage("task, completed", task(Status.COMPLETED)),
    AxePage("task, transcript being edited", task(Status.COMPLETED), then=edit_a_segment_and_find),
    AxePage("task, failed", task(Status.FAILED)),
    AxePage("task, cancelled", task(Status.CANCELLED)),
    AxePage("to-do", task(Kind.TODO)),
    AxePage("to-do, confirm delete", task(Kind.TODO), then=open_confirm),
    AxePage("to-do, edit", lambda cast: f"/dashboard/tasks/{cast.tasks[Kind.TODO].pk}/edit"),
    AxePage("account", lambda cast: "/account"),
    AxePage("notifications", lambda cast: "/notifications"),
    AxePage("analytics", lambda cast: "/analytics"),
    AxePage("integrations", lambda cast: "/account/integrations"),
    AxePage("404, signed in", lambda cast: "/dashboard/tasks/00000000-0000-0000-0000-000000000000"),
]


def cast_tasks(cast: Cast, storage: Path) -> None:
    """A task in every state the pages show, a webhook and a notification."""
    now = timezone.now()
    media = {
        "kind": Kind.TRANSCRIPTION,
        "file_path": "uploads/interview.flac",
        "original_filename": "interview.flac",
        "file_size": 180_000,
        "duration_seconds": 11.0,
    }
    alice = cast.alice
    cast.tasks[Status.IN_PROGRESS] = Task.objects.create(
        user=alice, title="Queued interview", status=Status.IN_PROGRESS, **media
    )
    cast.tasks[Status.PROCESSING] = Task.objects.create(
        user=alice, title="Running interview", status=Status.PROCESSING, progress=40, **media
    )
    (storage / "results").mkdir(exist_ok=True)
    (storage / "results" / "done.json").write_text(json.dumps(RESULT), encoding="utf-8")
    cast.tasks[Status.COMPLETED] = Task.objects.create(
        user=alice,
        title="Finished interview",
        status=Status.COMPLETED,
        progress=100,
        completed_at=now,
        result_path="results/done.json",
        transcript_text=RESULT["text"],
        detected_language="en",
        **media,
    )
    cast.tasks[Status.FAILED] = Task.objects.create(
        user=alice,
        title="Broken interview",
        status=Status.FAILED,
        error_code=ErrorCode.DECODE_ERROR,
        error_message="The file could not be decoded as audio.",
        **media,
    )
    cast.tasks[Status.CANCELLED] = Task.objects.create(
        user=alice, title="Abandoned interview", status=Status.CANCELLED, **media
    )
    cast.tasks[Kind.TODO] = Task.objects.create(
        user=alice,
        title="Call the printer",
        description="Ask about the proofs.",
        due_date=now + timedelta(days=2),
    )
    Task.objects.create(user=alice, title="Old to-do", deleted_at=now)
    Webhook.objects.create(user=alice, url="https://hooks.example.org/writers", secret="s" * 32)
    Notification.objects.create(
        user=alice,
        task=cast.tasks[Status.COMPLETED],
        event=TaskEvent.Kind.COMPLETED,
        title="Finished interview",
    )


def violations(page: Page) -> list[str]:
    """The serious and critical findings on the page, one readable line per element."""
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']})")["violations"]
    lines = []
    for violation in found:
        if violation["impact"] not in BLOCKING and violation["id"] not in BLOCKING_RULES:
            continue
        for node in violation["nodes"]:
            lines.append(
                f"  {violation['id']} ({violation['impact']}): {violation['help']}\n"
                f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}\n"
                f"    {node.get('failureSummary', '').replace(chr(10), ' ')}"
            )
    return lines


def check(
    context: BrowserContext, site: str, cast: Cast, pages: list[AxePage], size: dict[str, int]
) -> list[str]:
    report = []
    page = context.new_page()
    for entry in pages:
        page.set_viewport_size({**size, "width": entry.width or size["width"]})
        page.goto(site + entry.path(cast))
        if entry.then:
            entry.then(page)
        found = violations(page)
        if found:
            report.append(f"{entry.name} ({entry.path(cast)}):\n" + "\n".join(found))
    page.close()
    return report


def new_context(browser: Browser, site: str, language: str) -> BrowserContext:
    context = browser.new_context()
    context.set_default_timeout(20_000)
    # axe-core loads with every page this way, instead of being sent over for each check.
    context.add_init_script(script=AXE_SCRIPT)
    context.add_cookies([{"name": "django_language", "value": language, "url": site}])
    return context


@pytest.mark.django_db(transaction=True)
# Each language and size takes 20 to 60 s on two cores (25 s measured at each size in Persian):
# Persian runs with every `make test`, English with `make test-slow` (e2e/conftest.py).
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("language", ["en", "fa"])
def test_no_page_has_a_serious_accessibility_violation(
    browser: Browser, site: str, settings: Any, language: str, size: str
) -> None:
    # Polls swapping the list while axe reads it would make the run flaky; one poll a minute
    # never fires during it.
    settings.DASHBOARD_POLL_SECONDS = 60
    cast = Cast(alice=make_user(name="alice", full_name="Alice Owner", password=PASSWORD))

    signed_out = new_context(browser, site, language)
    report = check(signed_out, site, cast, SIGNED_OUT, SIZES[size])
    signed_out.close()

    signed_in = new_context(browser, site, language)
    access = issue_tokens(cast.alice)[0]
    signed_in.add_cookies([{"name": "access_token", "value": access, "url": site}])
    report += check(signed_in, site, cast, EMPTY, SIZES[size])
    cast_tasks(cast, Path(settings.STORAGE_ROOT))
    report += check(signed_in, site, cast, SIGNED_IN, SIZES[size])
    signed_in.close()

    assert not report, f"axe-core ({language}, {size}) found serious problems:\n" + "\n\n".join(
        report
    )
