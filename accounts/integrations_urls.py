from __future__ import annotations

from django.urls import path

from accounts import integrations_views

urlpatterns = [
    path("account/integrations", integrations_views.integrations_page, name="integrations"),
    path("notifications", integrations_views.notifications_page, name="notifications"),
]
