from __future__ import annotations

from django.urls import path

from tasks_app.attachments import views

ATTACHMENTS = "dashboard/tasks/<uuid:task_id>/attachments"

urlpatterns = [
    path(ATTACHMENTS, views.attachment_add, name="attachment_add"),
    path(
        f"{ATTACHMENTS}/<uuid:attachment_id>/delete",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path(
        f"{ATTACHMENTS}/<uuid:attachment_id>/analyze",
        views.attachment_analyze,
        name="attachment_analyze",
    ),
]
