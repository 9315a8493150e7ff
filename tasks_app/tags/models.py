"""Per-workspace tags with colours, put on tasks to find them again."""

from __future__ import annotations

from functools import lru_cache

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

    @property
    def text_color(self) -> str:
        """Black or white, whichever reads better on the tag's colour (WCAG contrast)."""
        return text_color(self.color)


@lru_cache(maxsize=1024)
def text_color(background: str) -> str:
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05): equal at L = 0.179.
    return "#000000" if luminance > 0.179 else "#ffffff"
