"""Discussion on a task: Markdown comments, with every edit kept for the workspace's admins."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Comment(models.Model):
    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Markdown as typed; rendered and sanitised on the way out, never stored as HTML.
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Deleted comments leave the page but stay for admins, with their edits.
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["task", "created_at"], name="comment_task_created")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.body[:40]}"


class CommentEdit(models.Model):
    """The text a comment had before one edit (or a deletion)."""

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="edits")
    body = models.TextField()
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["comment", "edited_at", "pk"]

    def __str__(self) -> str:
        return f"{self.comment_id} @ {self.edited_at:%Y-%m-%d %H:%M}"
