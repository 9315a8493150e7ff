"""A missing page and a crash look like the app, in English and in Persian (right to left), on a
desktop and a phone: the header, the styles, the reader's language, a way back. DEBUG is off
here, as under `make run`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

HEADINGS = {
    ("en", 404): "Nothing here",
    ("fa", 404): "چیزی اینجا نیست",
    ("en", 500): "Something went wrong on our side",
    ("fa", 500): "مشکلی در سمت ما پیش آمد",
}
BACK = {"en": "Go to the start page", "fa": "رفتن به صفحهٔ اصلی"}


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)])
@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("code", [404, 500])
def test_an_error_page_looks_like_the_app(
    page: Page,
    site: str,
    settings: Any,
    code: int,
    language: str,
    viewport: tuple[int, int],
) -> None:
    settings.DEBUG = False
    # The crash route of the client tests' URLconf; its 404 is the app's own.
    settings.ROOT_URLCONF = "writers.tests.test_error_pages"
    page.set_viewport_size({"width": viewport[0], "height": viewport[1]})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": site}])

    response = page.goto(f"{site}/{'no-such-page' if code == 404 else 'crash'}")

    assert response is not None and response.status == code
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.locator(".site-header .brand")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[(language, code)])
    expect(page.get_by_role("link", name=BACK[language])).to_be_visible()
    # writers.css is applied: the big status number of its .error-code rule.
    weight = page.locator(".error-code").evaluate("e => getComputedStyle(e).fontWeight")
    assert weight == "800"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
