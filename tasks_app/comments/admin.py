"""Admin for comments: staff read every comment with its history, deleted ones included."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from tasks_app.comments.models import Comment, CommentEdit


class CommentEditInline(admin.TabularInline):
    """The text before each edit (and before the deletion): a record, so read-only."""

    model = CommentEdit
    extra = 0
    can_delete = False
    fields = readonly_fields = ("edited_at", "edited_by", "body")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DeletedFilter(admin.SimpleListFilter):
    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Deleted"), ("no", "Not deleted")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in ("yes", "no"):
            return queryset.filter(deleted_at__isnull=self.value() == "no")
        return queryset


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["__str__", "author", "task", "created_at", "edited_at", "deleted_at"]
    list_filter = [DeletedFilter, "created_at"]
    search_fields = ["body", "author__email", "author__username", "task__title"]
    list_select_related = ["author", "task"]
    readonly_fields = ["task", "author", "created_at", "edited_at", "deleted_at"]
    inlines = [CommentEditInline]
