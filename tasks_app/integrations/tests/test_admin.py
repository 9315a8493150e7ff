from __future__ import annotations

from typing import Any

from accounts.tests.test_page_account import signed_in
from tasks_app.integrations.models import Webhook


def test_it_lists_webhooks_for_staff(client: Any, staff: Any, alice: Any) -> None:
    Webhook.objects.create(user=alice, url="https://receiver.example.org/hook", secret="s")
    signed_in(client, staff)
    response = client.get("/admin/tasks_app/webhook/")
    assert response.status_code == 200
    assert b"https://receiver.example.org/hook" in response.content


def test_it_redirects_the_old_accounts_admin_links(client: Any, staff: Any, alice: Any) -> None:
    hook = Webhook.objects.create(user=alice, url="https://receiver.example.org/hook", secret="s")
    signed_in(client, staff)
    response = client.get(f"/admin/accounts/webhook/{hook.pk}/change/?_changelist_filters=x")
    assert response.status_code == 302
    assert (
        response["Location"] == f"/admin/tasks_app/webhook/{hook.pk}/change/?_changelist_filters=x"
    )
    response = client.get("/admin/accounts/webhookdelivery/")
    assert response["Location"] == "/admin/tasks_app/webhookdelivery/"
