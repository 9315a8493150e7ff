from __future__ import annotations

from django.urls import path

from tasks_app.tags import views

urlpatterns = [
    path("tags", views.tags, name="tags"),
    path("workspaces/<int:workspace_id>/tags", views.workspace_tags, name="workspace_tags"),
    path("tags/<int:tag_id>/edit", views.tag_edit, name="tag_edit"),
    path("tags/<int:tag_id>/merge", views.tag_merge, name="tag_merge"),
    path("tags/<int:tag_id>/delete", views.tag_delete, name="tag_delete"),
    path("dashboard/tasks/<uuid:task_id>/tags", views.task_tag_add, name="task_tag_add"),
    path(
        "dashboard/tasks/<uuid:task_id>/tags/<int:tag_id>/remove",
        views.task_tag_remove,
        name="task_tag_remove",
    ),
]
