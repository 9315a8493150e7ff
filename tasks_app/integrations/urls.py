from __future__ import annotations

from django.urls import path

from tasks_app.integrations import views

urlpatterns = [
    path("account/integrations", views.integrations_page, name="integrations"),
    path("notifications", views.notifications_page, name="notifications"),
    path("notifications/badge", views.notifications_badge, name="notifications_badge"),
]
