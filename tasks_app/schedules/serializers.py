"""Shapes of the schedules API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app.models import Priority
from tasks_app.schedules import services
from tasks_app.schedules.models import Action, Execution, Rule, Schedule


class ScheduleSerializer(serializers.ModelSerializer):
    workspace = serializers.IntegerField(source="workspace_id", read_only=True)
    created_by = serializers.UUIDField(source="created_by_id", read_only=True)
    assignee = serializers.UUIDField(source="assignee_id", read_only=True)
    source_task = serializers.UUIDField(source="source_task_id", read_only=True)
    tags = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    next_runs = serializers.SerializerMethodField(
        help_text=f"The next {services.NEXT_RUNS} due times (UTC); empty when paused or done."
    )
    last_outcome = serializers.CharField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The outcome of the latest execution (null before the first).",
    )

    class Meta:
        model = Schedule
        fields = [
            "id",
            "workspace",
            # What a schedule is made of: the fields save_schedule takes.
            *services.FIELDS,
            "paused",
            "next_run_at",
            "last_run_at",
            "next_runs",
            "last_outcome",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_next_runs(self, schedule: Schedule) -> list[Any]:
        field = serializers.DateTimeField()
        return [field.to_representation(run) for run in services.next_runs(schedule)]


class ScheduleListSerializer(serializers.Serializer):
    schedules = ScheduleSerializer(many=True)


class ScheduleListQuerySerializer(serializers.Serializer):
    workspace = serializers.CharField(
        required=False, help_text="A workspace id: only its schedules (all of yours if absent)."
    )


class ScheduleWriteSerializer(serializers.Serializer):
    """Every field is optional on PATCH; a create needs name and rule (and what the rule
    needs). Tags, assignee and source task must belong to the schedule's workspace."""

    workspace = serializers.CharField(
        required=False,
        help_text="Create only: a workspace where you are an editor (your personal one if absent).",
    )
    name = serializers.CharField(required=False, max_length=200)
    rule = serializers.ChoiceField(choices=Rule.choices, required=False)
    cron = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Five cron fields, read in `timezone` (rule `cron`).",
    )
    interval_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=f"At least {services.MIN_INTERVAL_SECONDS} (rule `interval`).",
    )
    run_at = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="ISO date and time; without an offset it is read in `timezone`. Rule `once`: "
        "the moment; rule `interval`: the first run (one interval from now if absent).",
    )
    timezone = serializers.CharField(required=False, help_text="An IANA name; UTC if absent.")
    action = serializers.ChoiceField(choices=Action.choices, required=False)
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="The to-do's title; strftime codes (%Y-%m-%d) read at the due time in "
        "`timezone`. The schedule's name if blank.",
    )
    description = serializers.CharField(required=False, allow_blank=True)
    assignee = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The id of a member of the workspace; null for nobody.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tags = serializers.ListField(child=serializers.IntegerField(), required=False)
    due_in_days = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    source_task = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Action `analysis`: a text task or finished transcript of the workspace.",
    )


class ExecutionSerializer(serializers.ModelSerializer):
    task = serializers.UUIDField(source="task_id", read_only=True, allow_null=True)

    class Meta:
        model = Execution
        fields = [
            "id",
            "due_at",
            "manual",
            "missed",
            "started_at",
            "finished_at",
            "outcome",
            "task",
            "error",
        ]
        read_only_fields = fields


class ExecutionSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    running = serializers.IntegerField()
    missed = serializers.IntegerField()
    last_success = serializers.DateTimeField(allow_null=True)
    last_failure = serializers.DateTimeField(allow_null=True)


class ExecutionListSerializer(serializers.Serializer):
    summary = ExecutionSummarySerializer(help_text="Over all the schedule's executions.")
    executions = ExecutionSerializer(many=True)


class ExecutionListQuerySerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Execution.Outcome.choices, required=False)
    since = serializers.CharField(
        required=False, help_text="Only executions started at or after this ISO date (time)."
    )
