"""The other kinds in a real browser: any file through the picker, pasted text analysed and
shown on its task page, and the one-click analysis of a transcript."""

from __future__ import annotations

import base64
import json
import re
import threading
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.models import User
from e2e.conftest import sign_in
from tasks_app.models import AnalysisStatus, Kind, Status, Task
from tasks_app.uploads import ACCEPTED_EXTENSIONS
from transcription.tests.samples import ENGLISH, PERSIAN

pytestmark = pytest.mark.browser

DROP_FILE = """([data, name, type]) => {
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, {type}));
  return transfer;
}"""


@pytest.mark.django_db(transaction=True)
def test_the_any_file_box_lets_the_browser_send_any_type(
    page: Page, site: str, alice: User
) -> None:
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard/upload")
    error = page.locator("#upload-client-error")
    transfer = page.evaluate_handle(
        DROP_FILE, [base64.b64encode(b"MZ an executable").decode(), "setup.exe", ""]
    )
    page.dispatch_event("#dropzone", "drop", {"dataTransfer": transfer})
    expect(error).to_be_visible()
    expect(page.locator("#id_file")).to_have_attribute("accept", ",".join(ACCEPTED_EXTENSIONS))

    page.locator("#upload-advanced > summary").click()
    page.locator("#id_any_file").check()

    expect(error).to_be_hidden()
    assert page.locator("#id_file").get_attribute("accept") is None
    page.locator("#upload-submit").click()
    page.wait_for_url(re.compile(r"/dashboard/tasks/[0-9a-f-]{36}$"))
    task = Task.objects.get(user=alice)
    assert (task.kind, task.original_filename) == (Kind.FILE, "setup.exe")


@pytest.mark.django_db(transaction=True)
def test_pasted_persian_text_is_analysed_and_shown(
    page: Page, site: str, alice: User, worker: threading.Thread
) -> None:
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard/upload")
    page.locator("#upload-advanced > summary").click()
    page.locator("#id_text").fill(PERSIAN)
    page.locator("#upload-submit").click()
    page.wait_for_url(re.compile(r"/dashboard/tasks/[0-9a-f-]{36}$"))
    task = Task.objects.get(user=alice)

    page.goto(f"{site}/dashboard/tasks/{task.pk}")

    analysis = page.locator("#analysis")
    expect(analysis).to_contain_text("تهران", timeout=60_000)
    expect(analysis).to_contain_text("sentiment is only analysed for English")
    assert Task.objects.get(pk=task.pk).status == Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_one_click_analyses_a_finished_transcript(
    page: Page, site: str, alice: User, worker: threading.Thread
) -> None:
    task = Task.objects.create(
        user=alice,
        title="Speech",
        kind=Kind.TRANSCRIPTION,
        status=Status.COMPLETED,
        file_path="uploads/speech.flac",
        transcript_text=ENGLISH,
        result_path="results/speech.json",
    )
    (settings.STORAGE_ROOT / "results").mkdir(exist_ok=True)
    result: dict[str, Any] = {"task_id": str(task.pk), "partial": False, "text": ENGLISH}
    result["segments"] = [{"id": 0, "start": 0.0, "end": 9.0, "text": ENGLISH}]
    (settings.STORAGE_ROOT / task.result_path).write_text(json.dumps(result))
    sign_in(page, site, alice)
    page.goto(f"{site}/dashboard/tasks/{task.pk}")

    page.get_by_role("button", name="Analyse the transcript").click()

    expect(page.locator("#analysis")).to_contain_text("Positive", timeout=60_000)
    expect(page.locator("#analysis")).to_contain_text("fellow Americans")
    assert Task.objects.get(pk=task.pk).analysis_status == AnalysisStatus.COMPLETED
