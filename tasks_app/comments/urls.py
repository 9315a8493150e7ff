from __future__ import annotations

from django.urls import path

from tasks_app.comments import views

COMMENTS = "dashboard/tasks/<uuid:task_id>/comments"

urlpatterns = [
    path(COMMENTS, views.comment_add, name="task_comment_add"),
    path(f"{COMMENTS}/<int:comment_id>", views.comment, name="task_comment"),
    path(f"{COMMENTS}/<int:comment_id>/edit", views.comment_edit, name="task_comment_edit"),
    path(f"{COMMENTS}/<int:comment_id>/delete", views.comment_delete, name="task_comment_delete"),
]
