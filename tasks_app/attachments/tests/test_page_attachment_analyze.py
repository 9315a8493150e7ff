"""POST /dashboard/tasks/<id>/attachments/<attachment id>/analyze: the "Analyse text" button."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.attachments.models import Attachment
from tasks_app.models import Kind, Task


def url(attachment: Attachment) -> str:
    return f"/dashboard/tasks/{attachment.task_id}/attachments/{attachment.pk}/analyze"


def test_it_opens_the_new_text_task(
    alice: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "notes.txt")
    response = page(alice).post(url(attachment), follow=True)
    new = Task.objects.exclude(pk=shared_task.pk).get()
    assert new.kind == Kind.TEXT
    assert response.redirect_chain[-1][0] == f"/dashboard/tasks/{new.pk}"
    html = response.content.decode()
    assert "Text analysis started for “notes.txt”." in html
    # The new task's page leads back to the task the file came from.
    assert f"/dashboard/tasks/{shared_task.pk}" in html


def test_it_explains_a_refusal_in_the_panel(
    alice: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "data.dat", b"\x00\x01")
    response = page(alice).post(url(attachment), HTTP_HX_REQUEST="true")
    assert response.status_code == 409
    assert (
        "Only a text, Markdown, PDF or Word attachment can be analysed."
        in response.content.decode()
    )
    assert Task.objects.count() == 1


def test_a_viewer_may_not(
    alice: User,
    dave: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "notes.txt")
    assert page(dave).post(url(attachment)).status_code == 403
    assert Task.objects.count() == 1
