"""Where the keyboard focus goes and whether people can see it: upload errors land on the drop
area and are announced, a wrong password puts the cursor back in the password field, the focus
ring stands out (3:1) from what is behind it, and the dashboard's poll leaves a focused button
focused."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tasks_app.models import Kind, Status, Task

pytestmark = pytest.mark.browser

DROP_FILE = """([data, name, type]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  return transfer;
}"""

# The focused element's outline against what lies behind it (the nearest painted background of
# its ancestors, translucent layers composited), as WCAG 2.1 computes contrast.
FOCUS_RING = """() => {
  const el = document.activeElement;
  const parse = (c) => {
    const m = c.match(/[\\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
  };
  const over = (top, below) =>
    [0, 1, 2].map(i => top[i] * top[3] + below[i] * (1 - top[3])).concat([1]);
  const channel = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  const luminance = (c) => {
    const [r, g, b] = c.slice(0, 3).map(channel);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const layers = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] === 1) break;
  }
  let behind = [255, 255, 255, 1];
  for (const layer of layers.reverse()) behind = over(layer, behind);
  const style = getComputedStyle(el);
  const ring = over(parse(style.outlineColor), behind);
  const [a, b] = [luminance(ring), luminance(behind)].sort((x, y) => y - x);
  return {
    element: el.outerHTML.slice(0, 120),
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (a + 0.05) / (b + 0.05),
    isBody: el === document.body,
  };
}"""


def drop(page: Page, content: bytes, name: str, content_type: str = "audio/flac") -> None:
    transfer = page.evaluate_handle(
        DROP_FILE, [base64.b64encode(content).decode(), name, content_type]
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})


def expect_the_drop_area_holds(page: Page, error_id: str) -> None:
    zone = page.locator("#dropzone")
    expect(zone).to_be_focused()
    expect(zone).to_have_attribute("aria-invalid", "true")
    described = (zone.get_attribute("aria-describedby") or "").split()
    assert error_id in described
    error = page.locator(f"#{error_id}")
    expect(error).to_be_visible()
    # Announced: the message is (inside) a live alert.
    assert page.locator(f"[role=alert]:has(#{error_id}), [role=alert]#{error_id}").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_an_upload_without_a_file_puts_the_error_on_the_drop_area(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    visit("/dashboard/upload", alice, language)
    page.locator("#upload-submit").click()
    expect_the_drop_area_holds(page, "id_file_error")
    assert not Task.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_empty_file_is_announced_on_the_drop_area_and_a_new_file_clears_it(
    page: Page, visit: Callable[..., Page], alice: User
) -> None:
    visit("/dashboard/upload", alice)
    drop(page, b"", "silence.flac")
    page.locator("#upload-submit").click()
    expect_the_drop_area_holds(page, "id_file_error")
    expect(page.locator("#id_file_error")).to_contain_text("empty")

    drop(page, b"fLaC and more", "other.flac")
    zone = page.locator("#dropzone")
    expect(zone).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_file_error")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_file_of_the_wrong_type_is_announced_on_the_drop_area(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    visit("/dashboard/upload", alice, language)
    page.locator("#id_title").focus()
    drop(page, b"MZ an executable", "setup.exe", "application/octet-stream")
    expect_the_drop_area_holds(page, "upload-client-error")

    drop(page, b"fLaC and more", "fine.flac")
    expect(page.locator("#dropzone")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#upload-client-error")).to_be_hidden()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_a_wrong_password_puts_the_cursor_in_the_password_field(
    page: Page, visit: Callable[..., Page], alice: User, language: str
) -> None:
    visit("/login", language=language)
    expect(page.locator("#id_email")).to_be_focused()
    page.locator("#id_email").fill("alice@example.org")
    page.locator("#id_password").fill("not the password")
    page.locator("#id_password").press("Enter")
    expect(page.locator(".form-errors[role=alert]")).to_be_visible()
    expect(page.locator("#id_password")).to_be_focused()
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("#id_email")).to_have_value("alice@example.org")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language,width", [("en", 1280), ("fa", 1280), ("fa", 390)])
def test_the_focus_ring_stands_out_from_its_background(
    page: Page, visit: Callable[..., Page], alice: User, language: str, width: int
) -> None:
    Task.objects.create(user=alice, title="Call the printer")
    Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Interview",
        status=Status.FAILED,
        file_path="uploads/interview.flac",
        original_filename="interview.flac",
    )
    weak = []
    for path in ("/dashboard", "/dashboard/upload", "/account"):
        visit(path, alice, language, "phone" if width == 390 else "desktop")
        seen = set()
        for _ in range(60):
            page.keyboard.press("Tab")
            ring = page.evaluate(FOCUS_RING)
            if ring["isBody"] or ring["element"] in seen:
                break
            seen.add(ring["element"])
            if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3:
                weak.append(f"{path}: {ring}")
        assert len(seen) > 5, f"{path}: the keyboard reached only {len(seen)} elements"
    assert not weak, "focus rings below 3:1 or missing:\n" + "\n".join(weak)


@pytest.mark.django_db(transaction=True)
def test_a_focused_button_stays_focused_across_polls(
    page: Page, visit: Callable[..., Page], alice: User
) -> None:
    todo = Task.objects.create(user=alice, title="Call the printer")
    for number in range(4):
        Task.objects.create(user=alice, title=f"Newer to-do {number}")
    running = Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Interview",
        status=Status.PROCESSING,
        file_path="uploads/interview.flac",
        original_filename="interview.flac",
        progress=10,
    )
    visit("/dashboard", alice, size="phone")
    expect(page.locator("#task-list")).to_have_attribute("data-polling", "true")
    button = page.locator(f"#task-{todo.pk} button", has_text="Mark done")
    for _ in range(80):
        page.keyboard.press("Tab")
        if button.evaluate("el => el === document.activeElement"):
            break
    expect(button).to_be_focused()
    # A property, not an attribute: a morph brings attributes in line with the server's HTML.
    button.evaluate("el => { el.focusedBefore = 'yes'; }")
    assert page.evaluate("window.scrollY") > 0  # below the fold on a phone: the scroll matters
    place = button.evaluate("el => el.getBoundingClientRect().top")

    page.evaluate(
        "window.__swaps = 0;"
        "document.body.addEventListener('htmx:afterSettle', () => window.__swaps++)"
    )
    page.wait_for_function("window.__swaps >= 1")
    # What changed between the polls still shows: the running task completes.
    Task.objects.filter(pk=running.pk).update(status=Status.COMPLETED, progress=100)
    page.wait_for_function("window.__swaps >= 2")
    expect(page.locator(f"#task-{running.pk}")).to_have_attribute("data-status", "COMPLETED")

    focused = page.evaluate(
        "document.activeElement.focusedBefore || document.activeElement.tagName"
    )
    assert focused == "yes"
    # The page keeps its place around the button even though a card above it got shorter.
    assert abs(button.evaluate("el => el.getBoundingClientRect().top") - place) < 2


@pytest.mark.django_db(transaction=True)
def test_the_task_pages_poll_leaves_the_cancel_button_focused(
    page: Page, visit: Callable[..., Page], alice: User
) -> None:
    running = Task.objects.create(
        user=alice,
        kind=Kind.TRANSCRIPTION,
        title="Interview",
        status=Status.PROCESSING,
        file_path="uploads/interview.flac",
        original_filename="interview.flac",
        progress=10,
    )
    visit(f"/dashboard/tasks/{running.pk}", alice)
    cancel = page.locator("#task-status button", has_text="Cancel transcription")
    cancel.focus()
    cancel.evaluate("el => { el.focusedBefore = 'yes'; }")
    page.evaluate(
        "window.__swaps = 0;"
        "document.body.addEventListener('htmx:afterSettle', () => window.__swaps++)"
    )
    Task.objects.filter(pk=running.pk).update(progress=60)
    page.wait_for_function("window.__swaps >= 2", timeout=15_000)
    focused = page.evaluate(
        "document.activeElement.focusedBefore || document.activeElement.tagName"
    )
    assert focused == "yes"
