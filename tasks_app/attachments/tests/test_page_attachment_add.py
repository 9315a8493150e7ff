"""POST /dashboard/tasks/<id>/attachments: the panel's upload form, with and without HTMX."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.attachments.models import Attachment
from tasks_app.attachments.tests.conftest import NOTES, a_file
from tasks_app.models import Task

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(task: Task) -> str:
    return f"/dashboard/tasks/{task.pk}/attachments"


def test_it_attaches_without_javascript_and_comes_back_to_the_panel(
    bob: User, page: Callable[[User], Client], shared_task: Task
) -> None:
    client = page(bob)
    response = client.post(url(shared_task), {"file": a_file("notes.txt")})
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/tasks/{shared_task.pk}#attachments"
    attachment = Attachment.objects.get()
    assert (attachment.original_filename, attachment.uploaded_by) == ("notes.txt", bob)
    html = client.get(response["Location"]).content.decode()
    assert "“notes.txt” attached." in html


def test_it_swaps_the_panel_in_place_for_htmx(
    alice: User, page: Callable[[User], Client], shared_task: Task
) -> None:
    response = page(alice).post(url(shared_task), {"file": a_file("notes.txt")}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="panel attachments" id="attachments"')
    assert "notes.txt" in html


def test_it_says_why_a_file_is_refused(
    alice: User, page: Callable[[User], Client], shared_task: Task, settings: Any
) -> None:
    client = page(alice)
    refused = client.post(url(shared_task), {"file": a_file("setup.exe", b"MZ")}, **HTMX)
    assert refused.status_code == 415
    assert "Programs and web pages cannot be attached." in refused.content.decode()
    # Without JavaScript the reason comes back as a message on the task page.
    response = client.post(url(shared_task), {"file": a_file("empty.txt", b"")}, follow=True)
    assert "The file is empty." in response.content.decode()
    settings.MAX_UPLOAD_BYTES = 16
    too_big = client.post(url(shared_task), {"file": a_file("big.txt", NOTES)}, **HTMX)
    assert too_big.status_code == 413
    assert not Attachment.objects.exists()


def test_it_checks_csrf_after_installing_the_size_limit(alice: User, shared_task: Task) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["access_token"] = issue_tokens(alice)[0]
    assert browser.post(url(shared_task), {"file": a_file()}).status_code == 403
    assert not Attachment.objects.exists()


def test_it_refuses_a_viewer_and_hides_the_task_from_a_stranger(
    dave: User, charlie: User, page: Callable[[User], Client], shared_task: Task
) -> None:
    assert page(dave).post(url(shared_task), {"file": a_file()}).status_code == 403
    assert page(charlie).post(url(shared_task), {"file": a_file()}).status_code == 404
    assert not Attachment.objects.exists()
