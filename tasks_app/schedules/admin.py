from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tasks_app.schedules import services
from tasks_app.schedules.models import Execution, Schedule


class ExecutionInline(admin.TabularInline):
    """The runs, as they happened: read only."""

    model = Execution
    fields = ("due_at", "manual", "missed", "started_at", "finished_at", "outcome", "task", "error")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False
    ordering = ("-started_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Execution]:
        return super().get_queryset(request).select_related("task")


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = ("workspace", "created_by", *services.FIELDS, "paused")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The rules the pages and the API apply (a valid cron, an interval of a minute or more,
        # a time zone, a future "once").
        fields = {f: v for f, v in cleaned.items() if f != "tags"}
        candidate = Schedule(**fields)
        for field, problems in services.problems(candidate).items():
            self.add_error(field if field in self.fields else None, problems)
        return cleaned


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ("name", "workspace", "rule", "action", "paused", "next_run_at", "last_run_at")
    list_filter = ("rule", "action", "paused")
    search_fields = ("name", "workspace__name")
    raw_id_fields = ("workspace", "created_by", "assignee", "source_task")
    filter_horizontal = ("tags",)
    # The clock owns these: change them through pause, resume and the rule fields.
    readonly_fields = ("next_run_at", "last_run_at", "created_at")
    inlines = [ExecutionInline]
    actions = ["pause", "resume", "run_now"]

    def save_model(self, request: HttpRequest, obj: Schedule, form: Any, change: bool) -> None:
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        # The next slot from the (maybe new) rule, handed to the clock.
        services.reschedule(obj)

    @admin.action(description=_("Pause the selected schedules"))
    def pause(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        for schedule in queryset:
            services.pause(schedule)
        messages.success(request, _("Paused."))

    @admin.action(description=_("Resume the selected schedules"))
    def resume(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        for schedule in queryset:
            services.resume(schedule)
        messages.success(request, _("Resumed from the next run after now."))

    @admin.action(description=_("Run the selected schedules now"))
    def run_now(self, request: HttpRequest, queryset: QuerySet[Schedule]) -> None:
        failed = [services.run_now(s) for s in queryset]
        failed = [e for e in failed if e.outcome == Execution.Outcome.FAILED]
        if failed:
            messages.error(request, "; ".join(f"{e.schedule}: {e.error}" for e in failed))
        else:
            messages.success(request, _("Ran now."))
