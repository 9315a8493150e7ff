"""GET and POST /account/integrations: API tokens, webhooks, delivery log, preferences."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client

from accounts.api_tokens import create_api_token, hash_token
from accounts.models import ApiToken, User
from accounts.tests.test_page_account import signed_in
from tasks_app.integrations.models import Webhook, WebhookDelivery
from tasks_app.integrations.tests.test_webhooks import Receiver
from tasks_app.integrations.webhooks import create_webhook, sign

PAGE = "/account/integrations"


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get(PAGE)["Location"] == f"/login?next={PAGE}"


def test_it_creates_a_token_and_shows_it_once(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post(PAGE, {"action": "create_token", "name": "laptop"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    [raw] = re.findall(r'id="new-token">(wrt_[^<]+)<', response.content.decode())
    assert ApiToken.objects.get(user=alice, name="laptop").token_hash == hash_token(raw)
    again = client.get(PAGE).content.decode()
    assert "laptop" in again and raw not in again


def test_it_refuses_a_nameless_token(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post(PAGE, {"action": "create_token", "name": ""})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_it_revokes_only_the_users_own_token(client: Client, alice: User, charlie: User) -> None:
    token, _raw = create_api_token(alice, "laptop")
    signed_in(client, charlie)
    client.post(PAGE, {"action": "revoke_token", "id": str(token.pk)})
    token.refresh_from_db()
    assert token.revoked_at is None
    signed_in(client, alice)
    revoke = {"action": "revoke_token", "id": str(token.pk), "confirm": "1"}
    assert client.post(PAGE, revoke)["Location"] == PAGE
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_without_javascript_revoking_asks_on_a_page_first(client: Client, alice: User) -> None:
    token, _raw = create_api_token(alice, "laptop")
    signed_in(client, alice)
    response = client.post(PAGE, {"action": "revoke_token", "id": str(token.pk)})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Revoke the token “laptop”?" in body
    for field in ('name="action" value="revoke_token"', f'name="id" value="{token.pk}"'):
        assert field in body
    assert '<input type="hidden" name="confirm" value="1">' in body
    token.refresh_from_db()
    assert token.revoked_at is None


def test_it_adds_and_deletes_webhooks(client: Client, alice: User, settings: Any) -> None:
    signed_in(client, alice)
    refused = client.post(PAGE, {"action": "add_webhook", "url": "http://127.0.0.1:9999/hook"})
    assert refused.status_code == 400
    assert "private or local address" in refused.content.decode()
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    client.post(PAGE, {"action": "add_webhook", "url": "http://127.0.0.1:9999/hook"})
    webhook = Webhook.objects.get(user=alice)
    assert webhook.secret not in client.get(PAGE).content.decode()
    asked = client.post(PAGE, {"action": "delete_webhook", "id": str(webhook.pk)})
    assert asked.status_code == 200
    assert "Delete this webhook?" in asked.content.decode()
    assert Webhook.objects.exists()
    client.post(PAGE, {"action": "delete_webhook", "id": str(webhook.pk), "confirm": "1"})
    assert not Webhook.objects.exists()


def test_it_refuses_a_webhook_on_a_port_outside_the_allowed_ones(
    client: Client, alice: User
) -> None:
    signed_in(client, alice)
    for url in ("http://8.8.8.8:99999/hook", "http://8.8.8.8:22/hook"):
        refused = client.post(PAGE, {"action": "add_webhook", "url": url})
        assert refused.status_code == 400
        assert "port" in refused.content.decode()
    assert not Webhook.objects.exists()


def test_it_refuses_a_bad_port_in_persian_for_a_persian_reader(
    client: Client, alice: User, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_PORTS = "443"
    signed_in(client, alice)
    client.cookies["django_language"] = "fa"
    outside = client.post(PAGE, {"action": "add_webhook", "url": "http://8.8.8.8:8080/hook"})
    assert "وب‌هوک را فقط می‌توان به درگاه‌های 443 فرستاد." in outside.content.decode()
    beyond = client.post(PAGE, {"action": "add_webhook", "url": "http://8.8.8.8:99999/hook"})
    assert "درگاه باید عددی از ۱ تا ۶۵۵۳۵ باشد." in beyond.content.decode()
    assert not Webhook.objects.exists()


def test_it_shows_the_delivery_log_to_its_owner_only(
    client: Client, alice: User, charlie: User, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    webhook = create_webhook(alice, "http://127.0.0.1:9999/hook")
    WebhookDelivery.objects.create(
        webhook=webhook, event="task.failed", payload={}, attempts=2, response_status=503
    )
    signed_in(client, alice)
    assert "HTTP 503" in client.get(PAGE).content.decode()
    signed_in(client, charlie)
    body = client.get(PAGE).content.decode()
    assert "HTTP 503" not in body and webhook.secret not in body


def test_it_saves_preferences(client: Client, alice: User) -> None:
    signed_in(client, alice)
    response = client.post(
        PAGE, {"action": "preferences", "notify_by_email": "on", "audio_retention_days": "14"}
    )
    assert response["Location"] == PAGE
    alice.refresh_from_db()
    assert (alice.notify_by_email, alice.audio_retention_days) == (True, 14)
    assert (
        client.post(PAGE, {"action": "preferences", "audio_retention_days": "0"}).status_code == 400
    )


def test_a_webhooks_secret_is_sent_only_when_asked_and_only_to_its_owner(
    client: Client, alice: User, charlie: User
) -> None:
    webhook = Webhook.objects.create(user=alice, url="https://hooks.example.org/w", secret="s" * 32)
    reveal = f"{PAGE}/webhooks/{webhook.pk}/secret"
    signed_in(client, alice)
    page = client.get(PAGE).content.decode()
    assert webhook.secret not in page
    assert f'hx-get="{reveal}"' in page and f'href="{reveal}"' in page

    shown = client.get(reveal, headers={"HX-Request": "true"})
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"
    assert (
        f'<code class="ltr" tabindex="-1" autofocus>{webhook.secret}</code>'
        in shown.content.decode()
    )
    assert "<html" not in shown.content.decode()
    # Without JavaScript the link opens a page of its own.
    full = client.get(reveal).content.decode()
    assert "<html" in full and webhook.secret in full

    signed_in(client, charlie)
    assert client.get(reveal, headers={"HX-Request": "true"}).status_code == 404
    assert client.get(reveal).status_code == 404


def test_it_sends_a_test_delivery_and_says_how_it_went(
    client: Client, alice: User, receiver: Receiver
) -> None:
    webhook = create_webhook(alice, receiver.url)
    signed_in(client, alice)
    response = client.post(PAGE, {"action": "test_webhook", "id": str(webhook.pk)}, follow=True)
    assert response.redirect_chain == [(f"{PAGE}#webhooks", 302)]
    assert "Test delivery succeeded: the receiver answered HTTP 200." in response.content.decode()
    [request] = receiver.requests
    assert request["headers"]["X-Writers-Event"] == "webhook.test"
    assert json.loads(request["body"])["event"] == "webhook.test"
    signature = request["headers"]["X-Writers-Signature"]
    timestamp = int(signature.split(",")[0].removeprefix("t="))
    assert signature == sign(webhook.secret, timestamp, request["body"])
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED and delivery.response_status == 200


def test_a_failed_test_delivery_is_reported_and_not_retried(
    client: Client, alice: User, receiver: Receiver
) -> None:
    webhook = create_webhook(alice, receiver.url)
    receiver.statuses = [503]
    signed_in(client, alice)
    response = client.post(PAGE, {"action": "test_webhook", "id": str(webhook.pk)}, follow=True)
    assert "Test delivery failed: HTTP 503." in response.content.decode()
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.status == WebhookDelivery.Status.FAILED and delivery.next_attempt_at is None


def test_it_sends_no_test_to_someone_elses_webhook(
    client: Client, alice: User, charlie: User, receiver: Receiver
) -> None:
    webhook = create_webhook(alice, receiver.url)
    signed_in(client, charlie)
    client.post(PAGE, {"action": "test_webhook", "id": str(webhook.pk)})
    assert not receiver.requests and not WebhookDelivery.objects.exists()


def test_the_new_token_box_has_a_copy_button(client: Client, alice: User) -> None:
    signed_in(client, alice)
    body = client.post(PAGE, {"action": "create_token", "name": "laptop"}).content.decode()
    assert re.search(
        r'<button type="button"[^>]*data-copy="new-token"[^>]*hidden>Copy</button>', body
    )


def test_revoking_and_deleting_ask_first(client: Client, alice: User) -> None:
    create_api_token(alice, "laptop")
    Webhook.objects.create(user=alice, url="https://example.org/hook", secret="s")
    signed_in(client, alice)
    body = client.get(PAGE).content.decode()
    assert (
        'data-confirm="Revoke the token “laptop”? Scripts using it stop working at once."' in body
    )
    assert 'data-confirm="Delete this webhook? Writers stops posting events to it."' in body
