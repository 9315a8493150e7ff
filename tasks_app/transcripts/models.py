"""Every change to a transcript is a revision: a full snapshot of the segments after it, who made
it and what it changed. Revision 0 is the machine's result file, never stored here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TranscriptRevision(models.Model):
    task = models.ForeignKey("tasks_app.Task", on_delete=models.CASCADE, related_name="revisions")
    # 1, 2, 3… per task; the task's `transcript_version` is the newest one (0: not edited).
    number = models.PositiveIntegerField()
    # Null for the system (speaker labelling run by a worker).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A human line: "Edited segment 4", "Renamed Speaker 1 to Dr. Karimi", "Restored revision 2".
    summary = models.CharField(max_length=500, blank=True)
    # The operations as applied (PATCH …/transcript), or {"restore": n}.
    operations = models.JSONField(default=list, blank=True)
    # The whole transcript after this revision: [{"id", "start", "end", "text", "speaker",
    # "language", "words"?}, …] (docs/CONTRACTS.md).
    segments = models.JSONField(default=list)

    class Meta:
        ordering = ["task", "number"]
        constraints = [
            models.UniqueConstraint(fields=["task", "number"], name="revision_task_number_unique")
        ]
        verbose_name = _("transcript revision")

    def __str__(self) -> str:
        return f"{self.task_id} r{self.number}"
