from __future__ import annotations

from django.urls import path

from accounts import api

# Mounted at /api/v1/ (staff only), without trailing slashes.
urlpatterns = [
    path("users", api.user_list, name="api-user-list"),
    path("users/<uuid:user_id>", api.user_detail, name="api-user-detail"),
]
