from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from tasks_app import services
from tasks_app.models import Attempt, Status, Task
from tasks_app.transcripts.models import TranscriptRevision
from transcription.services import enqueue_task

PREVIEW_CHARS = 3000


class AttemptInline(admin.TabularInline):
    """Each worker's try, in order: why a task failed or was retried."""

    model = Attempt
    extra = 0
    can_delete = False
    fields = ("number", "outcome", "worker", "device", "started_at", "ended_at", "progress")
    fields += ("error_code", "error_message")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RevisionInline(admin.TabularInline):
    """The transcript's edits, newest first: who changed what and when (the segments each
    revision holds are left out: a long transcript would bury the page)."""

    model = TranscriptRevision
    extra = 0
    can_delete = False
    ordering = ("-number",)
    fields = ("number", "author", "created_at", "summary")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "user", "kind", "duration", "progress_percent", "created_at")
    list_filter = (
        "status",
        "kind",
        "created_at",
        ("user", admin.RelatedOnlyFieldListFilter),
        ("deleted_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("title", "user__email", "=id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    inlines = [AttemptInline, RevisionInline]
    actions = ["requeue", "cancel", "purge_audio"]
    readonly_fields = (
        "id",
        "user",
        "kind",
        "status",
        "file_path",
        "original_filename",
        "file_size",
        "content_type",
        "sha256",
        "duration_seconds",
        "result_path",
        "transcript_preview",
        "detected_language",
        "language_probability",
        "progress",
        "processed_seconds",
        "error_code",
        "error_message",
        "attempts",
        "queued_at",
        "started_at",
        "heartbeat_at",
        "completed_at",
        "created_at",
        "updated_at",
        "audio_purged_at",
    )
    fieldsets = (
        (None, {"fields": ("id", "user", "kind", "title", "description", "status", "due_date")}),
        (
            _("Upload"),
            {
                "fields": (
                    "original_filename",
                    "file_path",
                    "file_size",
                    "content_type",
                    "sha256",
                    "duration_seconds",
                    "audio_purged_at",
                )
            },
        ),
        (
            _("Options"),
            {
                "fields": (
                    "model_name",
                    "language",
                    "mode",
                    "word_timestamps",
                    "vad_filter",
                    "batched",
                    "initial_prompt",
                    "hotwords",
                )
            },
        ),
        (
            _("Processing"),
            {
                "fields": (
                    "progress",
                    "processed_seconds",
                    "attempts",
                    "error_code",
                    "error_message",
                    "queued_at",
                    "started_at",
                    "heartbeat_at",
                    "completed_at",
                )
            },
        ),
        (
            _("Result"),
            {
                "fields": (
                    "result_path",
                    "detected_language",
                    "language_probability",
                    "transcript_preview",
                )
            },
        ),
        (_("Record"), {"fields": ("created_at", "updated_at", "deleted_at")}),
    )

    @admin.display(description=_("Duration"), ordering="duration_seconds")
    def duration(self, task: Task) -> str:
        if task.duration_seconds is None:
            return "—"
        minutes, seconds = divmod(round(task.duration_seconds), 60)
        return f"{minutes}:{seconds:02d}"

    @admin.display(description=_("Progress"), ordering="progress")
    def progress_percent(self, task: Task) -> str:
        return f"{task.progress:.0f}%"

    @admin.display(description=_("Transcript"))
    def transcript_preview(self, task: Task) -> str:
        text = task.transcript_text
        if not text:
            return "—"
        more = "…" if len(text) > PREVIEW_CHARS else ""
        return format_html(
            '<pre style="white-space: pre-wrap; max-height: 24em; overflow: auto">{}{}</pre>',
            text[:PREVIEW_CHARS],
            more,
        )

    @admin.action(description=_("Requeue selected transcriptions"))
    def requeue(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        requeued = 0
        for task in queryset.exclude(file_path=""):
            if task.status == Status.PENDING:
                # Stuck before the queue (Redis was down): hand it over again.
                transaction.on_commit(lambda pk=task.pk: enqueue_task(pk), robust=True)
                requeued += 1
            elif services.retry_task(task):
                requeued += 1
        self.message_user(request, f"Requeued {requeued} of {queryset.count()} tasks.")

    @admin.action(description=_("Cancel selected tasks"))
    def cancel(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        cancelled = sum(services.cancel_task(task) for task in queryset)
        self.message_user(request, f"Cancelled {cancelled} of {queryset.count()} tasks.")

    @admin.action(description=_("Delete audio, keep transcript"))
    def purge_audio(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        purged = sum(services.purge_audio(task) for task in queryset)
        level = messages.SUCCESS if purged else messages.WARNING
        self.message_user(
            request,
            f"Deleted the audio of {purged} of {queryset.count()} tasks "
            "(active tasks and tasks without audio are skipped).",
            level,
        )


# The integrations package's admin; Django's autodiscovery imports only each app's `admin` module.
import tasks_app.attachments.admin  # noqa: E402, F401
import tasks_app.comments.admin  # noqa: E402, F401
import tasks_app.integrations.admin  # noqa: E402, F401
import tasks_app.schedules.admin  # noqa: E402, F401
import tasks_app.tags.admin  # noqa: E402, F401
import tasks_app.workspaces.admin  # noqa: E402, F401
