"""JSON shapes of the tasks API: what clients send and what they get back."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app.models import Mode, Status, Task
from tasks_app.services import BULK_LIMIT, ORDERINGS, PROMPT_MAX_CHARS

MAX_LIMIT = 100


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class OptionsSerializer(serializers.Serializer):
    """Processing options: sent as flat fields on upload, returned nested under `options`."""

    model = serializers.CharField(
        required=False, allow_blank=True, help_text="Model name; empty uses the server default."
    )
    language = serializers.CharField(
        required=False, allow_blank=True, help_text="Language code, or 'auto' to detect."
    )
    task = serializers.ChoiceField(choices=Mode.choices, required=False, default=Mode.TRANSCRIBE)
    word_timestamps = serializers.BooleanField(required=False, default=False)
    vad_filter = serializers.BooleanField(required=False, default=False)
    initial_prompt = serializers.CharField(
        required=False, allow_blank=True, max_length=PROMPT_MAX_CHARS
    )
    hotwords = serializers.CharField(required=False, allow_blank=True, max_length=PROMPT_MAX_CHARS)
    batched = serializers.BooleanField(required=False, default=False)


class TaskCreateSerializer(OptionsSerializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateTimeField(required=False, allow_null=True, default=None)
    file = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="Audio: .mp3 .wav .m4a .aac .ogg .flac. Without it the task is a to-do.",
    )


class TaskUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="To-dos only: PENDING, IN_PROGRESS, COMPLETED or CANCELLED.",
    )


class TodoSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BulkCreateSerializer(serializers.Serializer):
    tasks = serializers.ListField(
        child=TodoSerializer(), min_length=1, max_length=BULK_LIMIT, allow_empty=False
    )


class TaskListQuerySerializer(serializers.Serializer):
    skip = serializers.IntegerField(required=False, min_value=0, default=0)
    limit = serializers.IntegerField(
        required=False, min_value=1, default=MAX_LIMIT, help_text=f"At most {MAX_LIMIT}."
    )
    status_filter = serializers.ChoiceField(choices=Status.choices, required=False)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="Search in title, description and transcript.",
    )
    ordering = serializers.ChoiceField(
        choices=[f"{sign}{name}" for name in ORDERINGS for sign in ("", "-")],
        required=False,
        default="-created_at",
    )


class FileInfoSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_filename")
    size = serializers.IntegerField(source="file_size")
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    duration_seconds = serializers.FloatField(allow_null=True)
    purged = serializers.SerializerMethodField()

    def get_purged(self, task: Task) -> bool:
        return task.audio_purged_at is not None


class TaskOptionsOutSerializer(serializers.Serializer):
    model = serializers.CharField(source="model_name")
    language = serializers.CharField()
    task = serializers.CharField(source="mode")
    word_timestamps = serializers.BooleanField()
    vad_filter = serializers.BooleanField()
    initial_prompt = serializers.CharField()
    hotwords = serializers.CharField()
    batched = serializers.BooleanField()


class EtaSerializer(serializers.Serializer):
    estimated_start = serializers.DateTimeField(allow_null=True)
    estimated_finish = serializers.DateTimeField(allow_null=True)


class TaskUrlsSerializer(serializers.Serializer):
    self = serializers.CharField()
    file = serializers.CharField(allow_null=True)
    result = serializers.CharField(allow_null=True)


class TaskSerializer(serializers.ModelSerializer):
    """A task as clients see it. `context["etas"]` maps task ids to their ETA."""

    error = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    eta = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    has_result = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Task
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "status",
            "due_date",
            "progress",
            "error",
            "attempts",
            "eta",
            "queue_position",
            "detected_language",
            "language_probability",
            "file",
            "options",
            "has_result",
            "urls",
            "created_at",
            "updated_at",
            "queued_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ErrorSerializer(allow_null=True))
    def get_error(self, task: Task) -> dict[str, str] | None:
        if not task.error_code and not task.error_message:
            return None
        return {"code": task.error_code, "detail": task.error_message}

    @extend_schema_field(FileInfoSerializer(allow_null=True))
    def get_file(self, task: Task) -> dict[str, Any] | None:
        return FileInfoSerializer(task).data if task.has_file else None

    @extend_schema_field(TaskOptionsOutSerializer(allow_null=True))
    def get_options(self, task: Task) -> dict[str, Any] | None:
        return TaskOptionsOutSerializer(task).data if task.has_file else None

    def _eta(self, task: Task) -> Any:
        return self.context.get("etas", {}).get(task.pk)

    @extend_schema_field(EtaSerializer(allow_null=True))
    def get_eta(self, task: Task) -> dict[str, Any] | None:
        eta = self._eta(task)
        if eta is None or (eta.estimated_start is None and eta.estimated_finish is None):
            return None
        return EtaSerializer(eta).data

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, task: Task) -> int | None:
        eta = self._eta(task)
        return getattr(eta, "queue_position", None)

    def get_has_result(self, task: Task) -> bool:
        return bool(task.result_path)

    @extend_schema_field(TaskUrlsSerializer)
    def get_urls(self, task: Task) -> dict[str, str | None]:
        return {
            "self": reverse("tasks_api:detail", args=[task.pk]),
            "file": reverse("tasks_api:file", args=[task.pk])
            if task.has_file and task.audio_purged_at is None
            else None,
            "result": reverse("tasks_api:result", args=[task.pk]) if task.result_path else None,
        }


class TaskListSerializer(serializers.Serializer):
    tasks = TaskSerializer(many=True)
    total = serializers.IntegerField()
