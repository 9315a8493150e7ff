"""Admin for what reacts to task events: webhooks and their delivery log."""

from __future__ import annotations

from django.contrib import admin

from tasks_app.integrations.models import Webhook, WebhookDelivery


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ["url", "user", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "secret", "created_at"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "webhook", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event"]
    search_fields = ["webhook__url", "webhook__user__email"]
    list_select_related = ["webhook"]
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
