from __future__ import annotations

from django.urls import path

from accounts import api

# Mounted at /api/v1/users (staff only), without trailing slashes.
urlpatterns = [
    path("", api.user_list, name="api-user-list"),
    path("/<uuid:user_id>", api.user_detail, name="api-user-detail"),
]
