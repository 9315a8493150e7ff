from __future__ import annotations

from django.urls import include, path

from tasks_app import views

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("dashboard/todos", views.create_todo, name="create_todo"),
    path("dashboard/upload", views.upload, name="upload"),
    path("dashboard/bulk", views.tasks_bulk, name="tasks_bulk"),
    path("dashboard/tasks/<uuid:task_id>", views.task_detail, name="task_detail"),
    path("dashboard/tasks/<uuid:task_id>/status", views.task_status, name="task_status"),
    path("dashboard/tasks/<uuid:task_id>/edit", views.task_edit, name="task_edit"),
    path("dashboard/tasks/<uuid:task_id>/cancel", views.task_cancel, name="task_cancel"),
    path("dashboard/tasks/<uuid:task_id>/retry", views.task_retry, name="task_retry"),
    path("dashboard/tasks/<uuid:task_id>/analyze", views.task_analyze, name="task_analyze"),
    path("dashboard/tasks/<uuid:task_id>/complete", views.task_complete, name="task_complete"),
    path("dashboard/tasks/<uuid:task_id>/delete", views.task_delete, name="task_delete"),
    path("dashboard/trash", views.trash, name="trash"),
    path("dashboard/trash/<uuid:task_id>/restore", views.task_restore, name="task_restore"),
    path("dashboard/trash/<uuid:task_id>/purge", views.task_purge, name="task_purge"),
    path("", include("tasks_app.transcripts.urls")),
    path("", include("tasks_app.comments.urls")),
    path("", include("tasks_app.attachments.urls")),
    path("", include("tasks_app.tags.urls")),
    path("", include("tasks_app.schedules.urls")),
]
