"""Per-workspace tags with colours, put on tasks to find them again."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

# A CSS hex colour, #rrggbb.
COLOR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Give the colour as #rrggbb.")


class Tag(models.Model):
    workspace = models.ForeignKey(
        "tasks_app.Workspace", on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=50)
    color = models.CharField(max_length=7, default="#64748b", validators=[COLOR])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # "Urgent" and "urgent" are one tag in a workspace.
            models.UniqueConstraint("workspace", Lower("name"), name="tag_name_once"),
        ]

    def __str__(self) -> str:
        return self.name
