from __future__ import annotations

from django.urls import path

from tasks_app.integrations import api

# Mounted at /api/v1/, without trailing slashes like the rest of the API.
urlpatterns = [
    path("auth/preferences", api.preferences, name="api-preferences"),
    path("webhooks", api.webhook_list, name="api-webhooks"),
    path("webhooks/<str:webhook_id>", api.webhook_detail, name="api-webhook-detail"),
    path(
        "webhooks/<str:webhook_id>/deliveries",
        api.webhook_deliveries,
        name="api-webhook-deliveries",
    ),
    path("notifications", api.notification_list, name="api-notifications"),
    path("notifications/read", api.notification_read, name="api-notifications-read"),
    path("tasks/<str:task_id>/retention", api.task_retention, name="api-task-retention"),
]
