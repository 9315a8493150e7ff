from __future__ import annotations

from django.urls import path

from tasks_app.tags import api

app_name = "tags_api"

# Mounted at /api/v1/. The tags on one task are task routes: tasks_app/api_urls.py.
urlpatterns = [
    path("tags", api.tag_list, name="list"),
    path("tags/<str:tag_id>", api.tag_detail, name="detail"),
    path("tags/<str:tag_id>/merge", api.tag_merge, name="merge"),
]
