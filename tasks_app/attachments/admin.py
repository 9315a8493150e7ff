"""Attachments in the admin: read-only facts; deleting a row also removes its file."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tasks_app.attachments import services
from tasks_app.attachments.models import Attachment


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_filename", "task", "file_size", "content_type", "uploaded_by")
    list_select_related = ("task", "uploaded_by")
    search_fields = ("original_filename", "sha256", "task__title")
    readonly_fields = (
        "id",
        "task",
        "uploaded_by",
        "file_path",
        "original_filename",
        "file_size",
        "content_type",
        "sha256",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A file comes with an attachment: add them on the task page or through the API.
        return False

    def delete_model(self, request: HttpRequest, obj: Attachment) -> None:
        services.delete_attachment(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for attachment in queryset:
            services.delete_attachment(attachment)
