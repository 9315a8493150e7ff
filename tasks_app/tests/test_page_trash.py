"""GET /dashboard/trash and its POST .../restore and .../purge: deleted tasks wait in the Trash,
restorable with their files and result, until `purge_deleted` (or "Delete now") removes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tests.test_page_account import signed_in
from tasks_app import services
from tasks_app.models import Status, Task
from tasks_app.templatetags.writers import when

TRASH = "/dashboard/trash"


def deleted(make_task: Callable[..., Task], user: User, **fields: Any) -> Task:
    task = make_task(user, **fields)
    services.delete_task(task)
    return task


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get(TRASH)["Location"] == f"/login?next={TRASH}"


def test_it_lists_only_the_users_deleted_tasks_with_when_each_is_purged(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task], settings: Any
) -> None:
    settings.TRASH_RETENTION_HOURS = 48
    gone = deleted(make_task, alice, title="Old memo")
    make_task(alice, title="Still here")
    deleted(make_task, charlie, title="Charlie's secret")
    signed_in(client, alice)
    body = client.get(TRASH).content.decode()
    assert "Old memo" in body
    assert "Still here" not in body and "Charlie" not in body
    assert gone.deleted_at is not None
    purge_after = gone.deleted_at + timedelta(hours=48)
    # Relative (48 hours less the moments since: "in 1 day") with the full date on hover.
    moment = f'datetime="{purge_after.isoformat()}" title="{when(purge_after)}" data-relative>'
    assert f"{moment}in 1\xa0day<" in body


def test_it_says_when_the_trash_is_empty(client: Client, alice: User) -> None:
    signed_in(client, alice)
    assert "The Trash is empty." in client.get(TRASH).content.decode()


def test_the_dashboard_links_to_it_and_delete_says_where_the_task_went(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, title="Old memo")
    signed_in(client, alice)
    assert f'href="{TRASH}"' in client.get("/dashboard").content.decode()
    client.post(f"/dashboard/tasks/{task.pk}/delete")
    assert "Task moved to the Trash." in client.get(TRASH).content.decode()


def test_it_restores_a_task_with_its_file_and_result(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = deleted(
        make_task, alice, title="Interview", file=True, result=result, status=Status.COMPLETED
    )
    signed_in(client, alice)
    response = client.post(f"{TRASH}/{task.pk}/restore", follow=True)
    assert response.redirect_chain == [(TRASH, 302)]
    assert "“Interview” restored." in response.content.decode()
    task.refresh_from_db()
    assert task.deleted_at is None and task.status == Status.COMPLETED
    assert services.upload_name(task) is not None
    assert services.load_result(task) == result
    page = client.get(f"/dashboard/tasks/{task.pk}")
    assert page.status_code == 200 and "ask not what your country" in page.content.decode()


def test_a_transcription_that_deleting_cancelled_comes_back_cancelled(
    client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    # Deleting stopped its job; restoring must not silently start it again (Try again does).
    task = deleted(make_task, alice, file=True, status=Status.PROCESSING)
    signed_in(client, alice)
    client.post(f"{TRASH}/{task.pk}/restore")
    task.refresh_from_db()
    assert task.deleted_at is None and task.status == Status.CANCELLED and task.can_retry


def test_delete_now_removes_the_task_and_its_files(
    client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = deleted(make_task, alice, file=True, result=result, status=Status.COMPLETED)
    files = [settings.STORAGE_ROOT / task.file_path, settings.STORAGE_ROOT / task.result_path]
    signed_in(client, alice)
    # Without JavaScript (no confirm=1 from the page's dialog) it asks on a page first.
    asked = client.post(f"{TRASH}/{task.pk}/purge")
    assert asked.status_code == 200
    assert "This cannot be undone." in asked.content.decode()
    assert '<input type="hidden" name="confirm" value="1">' in asked.content.decode()
    assert all(path.exists() for path in files)
    assert client.post(f"{TRASH}/{task.pk}/purge", {"confirm": "1"})["Location"] == TRASH
    assert not Task.objects.filter(pk=task.pk).exists()
    assert not any(path.exists() for path in files)
    assert client.post(f"{TRASH}/{task.pk}/restore").status_code == 404


def test_it_is_404_for_a_stranger_and_for_a_live_task(
    client: Client, alice: User, charlie: User, make_task: Callable[..., Task]
) -> None:
    task = deleted(make_task, alice, file=True)
    live = make_task(alice)
    signed_in(client, charlie)
    assert client.post(f"{TRASH}/{task.pk}/restore").status_code == 404
    assert client.post(f"{TRASH}/{task.pk}/purge").status_code == 404
    task.refresh_from_db()
    assert task.deleted_at is not None and services.upload_name(task) is not None
    signed_in(client, alice)
    assert client.post(f"{TRASH}/{live.pk}/purge").status_code == 404
    assert Task.objects.filter(pk=live.pk, deleted_at__isnull=True).exists()


def test_it_takes_only_posts(client: Client, alice: User, make_task: Callable[..., Task]) -> None:
    task = deleted(make_task, alice)
    signed_in(client, alice)
    assert client.get(f"{TRASH}/{task.pk}/restore").status_code == 405


def test_the_purge_keeps_tasks_until_the_retention_ends(
    client: Client, alice: User, make_task: Callable[..., Task], settings: Any
) -> None:
    settings.TRASH_RETENTION_HOURS = 72
    young = deleted(make_task, alice, title="Deleted two days ago")
    old = deleted(make_task, alice, title="Deleted four days ago")
    now = timezone.now()
    Task.objects.filter(pk=young.pk).update(deleted_at=now - timedelta(hours=71))
    Task.objects.filter(pk=old.pk).update(deleted_at=now - timedelta(hours=73))
    call_command("purge_deleted", stdout=StringIO())
    assert list(Task.objects.values_list("pk", flat=True)) == [young.pk]
    signed_in(client, alice)
    assert client.post(f"{TRASH}/{old.pk}/restore").status_code == 404
    assert client.post(f"{TRASH}/{young.pk}/restore")["Location"] == TRASH
