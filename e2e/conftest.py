"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server,
with a burst worker draining the queues in a thread so uploads really get transcribed.

Never `playwright install`: the browser is the system's /usr/bin/chromium.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import django_rq
import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, sync_playwright

from accounts.models import User
from accounts.tokens import issue_tokens

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
FAILED = pytest.StashKey[bool]()

# Playwright's sync API keeps an event loop in the test thread for the whole session, which
# Django's guard takes for async code; the ORM calls made there (test database setup and flush,
# the tests' own queries) are plain blocking calls all the same.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A browser test written for both languages runs in Persian in `make test` (right-to-left
    # is where pages break) and in English in `make test-slow`, which .ci/run runs too: the
    # suite stays near 15 minutes on 2 cores without dropping either language from CI.
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "e2e" in item.path.parts and params.get("language") == "en":
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing (make test installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", request.node.nodeid)
        # Persian parameters spell out as \uXXXX: keep the name within the file system's 255.
        if len(name) > 200:
            name = f"{name[:190]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        opened.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.html").write_text(opened.content(), encoding="utf-8")
    context.close()


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """The live server's address, with the dashboard polling fast enough for a test."""
    settings.DASHBOARD_POLL_SECONDS = 1
    settings.MODEL_DEVICE = "cpu"
    settings.ENABLE_RESOURCE_MONITORING = False
    cache.clear()
    return str(live_server.url)


def sign_in(page: Page, site: str, user: User, language: str = "en") -> None:
    """Sign `user` in (an access token cookie, as the login page sets) reading in `language`."""
    page.context.add_cookies(
        [
            {"name": "access_token", "value": issue_tokens(user)[0], "url": site},
            {"name": "django_language", "value": language, "url": site},
        ]
    )


@pytest.fixture
def visit(page: Page, site: str) -> Callable[..., Page]:
    """What most browser tests start with: `visit(path, user, language, size)` signs `user` in
    (or nobody, with None), reads in `language`, sizes the window ("desktop" 1280×900 or "phone"
    390×844) and opens `path` on the live server."""

    def open_page(
        path: str, user: User | None = None, language: str = "en", size: str = "desktop"
    ) -> Page:
        page.set_viewport_size(SIZES[size])
        if user is not None:
            sign_in(page, site, user, language)
        else:
            page.context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        page.goto(site + path)
        return page

    return open_page


@pytest.fixture
def worker(transactional_db: Any) -> Iterator[threading.Thread]:
    """Burst workers, one after another in a thread, until the test ends."""
    from transcription.worker import work

    connection = django_rq.get_queue("media").connection
    connection.flushdb()
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            work(burst=True)
            stop.wait(0.3)

    thread = threading.Thread(target=loop, name="e2e-worker", daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(120)
    connection.flushdb()
