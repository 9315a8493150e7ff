from __future__ import annotations

from django.urls import path

from tasks_app.integrations import views

urlpatterns = [
    path("account/integrations", views.integrations_page, name="integrations"),
    path(
        "account/integrations/webhooks/<uuid:webhook_id>/secret",
        views.webhook_secret,
        name="webhook_secret",
    ),
    path("notifications", views.notifications_page, name="notifications"),
    path("notifications/badge", views.notifications_badge, name="notifications_badge"),
]
