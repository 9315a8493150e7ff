"""POST /dashboard/tasks/<id>/attachments/<attachment id>/delete: asks first, then deletes."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task


def url(attachment: Attachment) -> str:
    return f"/dashboard/tasks/{attachment.task_id}/attachments/{attachment.pk}/delete"


def test_it_asks_first_without_javascript_then_deletes(
    alice: User,
    bob: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "budget.txt")
    client = page(bob)
    question = client.post(url(attachment))
    assert question.status_code == 200
    assert "Delete the attachment “budget.txt” for good?" in question.content.decode()
    assert Attachment.objects.exists()
    response = client.post(url(attachment), {"confirm": "1"}, follow=True)
    assert "“budget.txt” deleted." in response.content.decode()
    assert not Attachment.objects.exists()


def test_it_swaps_the_panel_for_htmx(
    alice: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice, "budget.txt")
    response = page(alice).post(url(attachment), {"confirm": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "No attachments yet." in response.content.decode()


def test_a_viewer_may_not(
    alice: User,
    dave: User,
    page: Callable[[User], Client],
    shared_task: Task,
    attach: Callable[..., Attachment],
) -> None:
    attachment = attach(shared_task, alice)
    assert page(dave).post(url(attachment), {"confirm": "1"}).status_code == 403
    assert Attachment.objects.exists()
