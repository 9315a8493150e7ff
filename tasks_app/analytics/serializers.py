"""Query parameters and JSON shapes of /api/v1/analytics (documented in the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from tasks_app.analytics.queries import DEFAULT_DAYS, MAX_DAYS
from tasks_app.models import Kind, Status
from tasks_app.workspaces.models import Role

WORKSPACE_HELP = (
    "A workspace id: only that workspace's tasks (you must be a member; staff may ask for any). "
    "Left out: every workspace you are a member of; for staff, the whole site."
)


class AnalyticsQuerySerializer(serializers.Serializer):
    workspace = serializers.IntegerField(required=False, min_value=1, help_text=WORKSPACE_HELP)
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        default=DEFAULT_DAYS,
        help_text="The window: tasks created in the last this many days, today included.",
    )


class ExportQuerySerializer(AnalyticsQuerySerializer):
    days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_DAYS,
        help_text="Only tasks created in the last this many days; left out: all of them.",
    )


class WorkspaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    personal = serializers.BooleanField(source="is_personal")


class ScopeSerializer(serializers.Serializer):
    """Where the figures come from, repeated in every answer."""

    workspace = WorkspaceRefSerializer(allow_null=True, help_text="Null: more than one workspace.")
    everyone = serializers.BooleanField(help_text="True: the whole site (staff only).")
    days = serializers.IntegerField()
    since = serializers.DateField(help_text="The window's first day (site time zone).")
    until = serializers.DateField(help_text="The window's last day: today.")


class FailureSerializer(serializers.Serializer):
    error_code = serializers.CharField()
    count = serializers.IntegerField()


class OverviewSerializer(ScopeSerializer):
    total = serializers.IntegerField(help_text="Tasks created in the window.")
    by_status = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Every status: {', '.join(Status.values)}."
    )
    by_kind = serializers.DictField(
        child=serializers.IntegerField(), help_text=f"Every kind: {', '.join(Kind.values)}."
    )
    failures = FailureSerializer(many=True, help_text="Failed tasks by error code, most first.")
    audio_minutes = serializers.FloatField(help_text="Audio of completed transcriptions.")
    real_time_factor = serializers.FloatField(
        allow_null=True,
        help_text="Audio seconds per second of processing; null when nothing was transcribed.",
    )


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    created = serializers.IntegerField()
    completed = serializers.IntegerField(help_text="Completed that day, whenever created.")


class TrendsSerializer(ScopeSerializer):
    series = DaySerializer(many=True, help_text="One entry per day, oldest first.")


class UserRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    email = serializers.EmailField()
    name = serializers.CharField()
    role = serializers.ChoiceField(
        choices=Role.choices,
        allow_null=True,
        help_text="In the workspace; null for the whole site, or someone no longer a member.",
    )
    tasks = serializers.IntegerField(help_text="Tasks they created in the window.")
    completed = serializers.IntegerField()
    failed = serializers.IntegerField()
    assigned = serializers.IntegerField(help_text="Tasks of the window assigned to them.")
    audio_minutes = serializers.FloatField()


class UsersSerializer(ScopeSerializer):
    users = UserRowSerializer(
        many=True, help_text="Every member of the workspace (with no tasks too), most tasks first."
    )
