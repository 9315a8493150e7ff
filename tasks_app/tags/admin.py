from __future__ import annotations

from django.contrib import admin

from tasks_app.tags.models import Tag


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "color", "workspace", "created_at")
    list_filter = ("workspace",)
    search_fields = ("name", "workspace__name")
    raw_id_fields = ("workspace",)
