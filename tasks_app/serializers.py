"""JSON shapes of the tasks API: what clients send and what they get back."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from tasks_app.models import Channels, Kind, Mode, Priority, Status, Task
from tasks_app.services import (
    BULK_LIMIT,
    MAX_SPEAKERS,
    ORDERINGS,
    PROMPT_MAX_CHARS,
    normalized_audio_name,
)
from tasks_app.uploads import AUDIO_EXTENSIONS, TEXT_EXTENSIONS, VIDEO_EXTENSIONS
from writers.schema import ErrorSerializer

MAX_LIMIT = 100


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
    normalized_audio = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Videos: keep the sound track as 16 kHz mono FLAC (GET …/audio).",
    )
    speakers = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_SPEAKERS,
        help_text="Label speakers automatically (approximate): how many speak; 0 is off.",
    )
    channels = serializers.ChoiceField(
        choices=Channels.choices,
        required=False,
        default=Channels.AUTO,
        help_text=(
            "Stereo with one speaker per channel (a phone call): 'split' transcribes each "
            "channel as its own speaker, 'mix' mixes them to mono, 'auto' splits only when the "
            "channels measure as separate voices."
        ),
    )


PASTED_TEXT_MAX_CHARS = 1_000_000
# Ids are database integers: a bigger number is a 400, not an overflow in the query.
ID_MAX = 2**31 - 1


class TeamFieldsSerializer(serializers.Serializer):
    """Who does a task and how urgent it is, for creating and changing one."""

    assignee = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="User id of a member of the task's workspace; null: nobody.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tags = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        max_length=50,
        help_text="Ids of the workspace's tags (the whole set: it replaces the task's tags).",
    )


class TaskCreateSerializer(OptionsSerializer, TeamFieldsSerializer):
    workspace = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=ID_MAX,
        help_text="Workspace id (editor or admin there); default: your personal one.",
    )
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateTimeField(required=False, allow_null=True, default=None)
    file = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text=(
            f"Audio ({' '.join(AUDIO_EXTENSIONS)}) is transcribed; video "
            f"({' '.join(VIDEO_EXTENSIONS)}) is transcribed with metadata and a thumbnail; "
            f"documents ({' '.join(TEXT_EXTENSIONS)}) are analysed. With kind=file any file is "
            "taken and its content decides. Without a file or text the task is a to-do."
        ),
    )
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=PASTED_TEXT_MAX_CHARS,
        help_text="Pasted text to analyse (language, keywords, sentiment, summary).",
    )
    kind = serializers.ChoiceField(
        choices=[("auto", "auto"), ("file", "file")],
        required=False,
        default="auto",
        help_text=(
            "auto: the extension decides, and only the listed types are accepted. file: any "
            "file; its content decides whether it is transcribed, analysed or only described "
            "(size, type, checksums)."
        ),
    )


class TaskUpdateSerializer(TeamFieldsSerializer):
    workspace = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text=(
            "Move the task to this workspace (you must be an editor or admin in both). Its tags "
            "are dropped (they belong to the old workspace) and its assignee too unless a "
            "member of the new one."
        ),
    )
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True)
    due_date = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(
        choices=Status.choices,
        required=False,
        help_text="To-dos only: PENDING, IN_PROGRESS, COMPLETED or CANCELLED.",
    )


class TodoSerializer(TeamFieldsSerializer):
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BulkCreateSerializer(serializers.Serializer):
    workspace = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=ID_MAX,
        help_text="Workspace id for all of them; default: your personal one.",
    )
    tasks = serializers.ListField(
        child=TodoSerializer(), min_length=1, max_length=BULK_LIMIT, allow_empty=False
    )


class BulkUpdateSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.CharField(max_length=64),
        min_length=1,
        max_length=BULK_LIMIT,
        help_text=f"The tasks, at most {BULK_LIMIT}.",
    )
    action = serializers.ChoiceField(
        choices=["assign", "tag", "untag", "priority", "move", "cancel", "delete"]
    )
    assignee = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="assign: a member's user id (of every task's workspace); null unassigns.",
    )
    tags = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        min_length=1,
        max_length=50,
        help_text="tag, untag: tag ids (of every task's workspace).",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    workspace = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=ID_MAX,
        help_text="move: the workspace to move them to (editor or admin there).",
    )


MAX_WAIT_SECONDS = 60


class TaskWaitQuerySerializer(serializers.Serializer):
    wait = serializers.FloatField(
        required=False,
        help_text=(
            f"Seconds (0 < wait <= {MAX_WAIT_SECONDS}) to hold the answer until the task's status "
            "differs from the one it had when the request arrived; then, or after `wait` seconds, "
            "the task as it is. Progress alone does not end the wait. A task already completed, "
            f"failed or cancelled answers at once. More than {MAX_WAIT_SECONDS} is a 400."
        ),
    )

    def validate_wait(self, value: float) -> float:
        # Written this way round so NaN is refused too.
        if not 0 < value <= MAX_WAIT_SECONDS:
            raise serializers.ValidationError(
                f"wait must be a number of seconds above 0 and at most {MAX_WAIT_SECONDS}."
            )
        return value


class TaskListQuerySerializer(serializers.Serializer):
    # Bounded so an absurd offset is a 400, not an integer overflow in the database.
    skip = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1, default=0)
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
        help_text="'-priority': most urgent first.",
    )
    workspace = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="Only this workspace's tasks."
    )
    assignee = serializers.RegexField(
        r"^(me|[0-9a-fA-F-]{32,36})$",
        required=False,
        help_text="'me', or a user id: the tasks assigned to them.",
        error_messages={"invalid": "Give 'me' or a user id."},
    )
    tag = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=ID_MAX),
        required=False,
        help_text="A tag id; repeat it for several: a task must carry every one.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    overdue = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only to-dos past their due date; false: none of them.",
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
    normalized_audio = serializers.BooleanField()
    speakers = serializers.IntegerField()
    channels = serializers.CharField()


class EtaSerializer(serializers.Serializer):
    estimated_start = serializers.DateTimeField(allow_null=True)
    estimated_finish = serializers.DateTimeField(allow_null=True)


class TaskUrlsSerializer(serializers.Serializer):
    self = serializers.CharField()
    file = serializers.CharField(allow_null=True)
    result = serializers.CharField(allow_null=True)
    thumbnail = serializers.CharField(allow_null=True, help_text="Videos: a JPEG still.")
    audio = serializers.CharField(
        allow_null=True, help_text="Videos with normalized_audio: the sound as FLAC."
    )
    analyze = serializers.CharField(
        allow_null=True, help_text="POST here to analyse a finished transcript as text."
    )
    speakers = serializers.CharField(
        allow_null=True, help_text="POST here to label a finished transcript's speakers."
    )


class AssigneeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField()


class TagOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField(help_text="#rrggbb")


class TaskSerializer(serializers.ModelSerializer):
    """A task as clients see it. `context["etas"]` maps task ids to their ETA; a list's
    `context["tags"]` maps them to their tags (services.tags_by_task)."""

    error = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    eta = serializers.SerializerMethodField()
    queue_position = serializers.SerializerMethodField()
    has_result = serializers.SerializerMethodField()
    urls = serializers.SerializerMethodField()
    workspace = serializers.IntegerField(source="workspace_id")
    workspace_name = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    is_overdue = serializers.BooleanField(
        help_text="A to-do past its due date and not done or cancelled."
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "status",
            "workspace",
            "workspace_name",
            "assignee",
            "priority",
            "tags",
            "due_date",
            "is_overdue",
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
            "analysis_status",
            "speakers_status",
            "speakers_error",
            "urls",
            "created_at",
            "updated_at",
            "queued_at",
            "started_at",
            "completed_at",
        ]
        read_only_fields = fields

    def get_fields(self) -> dict[str, serializers.Field]:
        """DRF's fields, worked out from the model once per class and copied for each
        serializer: DRF works them out anew for every one, a tenth of an API detail answer."""
        cls = type(self)
        if "_built_fields" not in cls.__dict__:
            cls._built_fields = super().get_fields()
        return copy.deepcopy(cls._built_fields)

    def to_representation(self, instance: Task) -> dict[str, Any]:
        """What DRF's ModelSerializer.to_representation gives (test_task_serializer compares
        them field by field), without its per-field machinery, which was most of the time of
        a list of 100 tasks. Field types not in `_plan` go through DRF as usual."""
        tz = timezone.get_current_timezone()
        data: dict[str, Any] = {}
        for name, source, how in _plan(self):
            if how == "method":
                data[name] = getattr(self, source)(instance)
                continue
            value = getattr(instance, source)
            if value is None:
                data[name] = None
            elif how == "datetime" and getattr(value, "tzinfo", None) is not None:
                text = value.astimezone(tz).isoformat()
                data[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            elif how == "choice":
                data[name] = self.fields[name].choice_strings_to_values.get(str(value), value)
            elif how in SIMPLE:
                data[name] = SIMPLE[how](value)
            else:
                data[name] = self.fields[name].to_representation(value)
        return data

    def get_workspace_name(self, task: Task) -> str:
        return task.workspace.display_name

    @extend_schema_field(AssigneeSerializer(allow_null=True))
    def get_assignee(self, task: Task) -> dict[str, Any] | None:
        person = task.assignee
        if person is None:
            return None
        return {"id": str(person.pk), "username": person.username, "full_name": person.full_name}

    @extend_schema_field(TagOutSerializer(many=True))
    def get_tags(self, task: Task) -> list[dict[str, Any]]:
        # A list passes its page's tags (services.tags_by_task): no query per task.
        if "tags" in self.context:
            tags = self.context["tags"].get(task.pk, ())
        else:
            tags = [(tag.pk, tag.name, tag.color) for tag in task.tags.all()]
        return [{"id": pk, "name": name, "color": color} for pk, name, color in tags]

    @extend_schema_field(ErrorSerializer(allow_null=True))
    def get_error(self, task: Task) -> dict[str, str] | None:
        if not task.error_code and not task.error_message:
            return None
        return {"code": task.error_code, "detail": task.error_message}

    # The nested parts are built as plain dicts (shapes documented by the serializers named in
    # extend_schema_field): a nested serializer per task made the 100-task list 2-3x slower.
    @extend_schema_field(FileInfoSerializer(allow_null=True))
    def get_file(self, task: Task) -> dict[str, Any] | None:
        if not task.has_file:
            return None
        return {
            "name": task.original_filename,
            "size": task.file_size,
            "content_type": task.content_type,
            "sha256": task.sha256,
            "duration_seconds": task.duration_seconds,
            "purged": task.audio_purged_at is not None,
        }

    @extend_schema_field(TaskOptionsOutSerializer(allow_null=True))
    def get_options(self, task: Task) -> dict[str, Any] | None:
        if not task.has_file:
            return None
        return {
            "model": task.model_name,
            "language": task.language,
            "task": task.mode,
            "word_timestamps": task.word_timestamps,
            "vad_filter": task.vad_filter,
            "initial_prompt": task.initial_prompt,
            "hotwords": task.hotwords,
            "batched": task.batched,
            "normalized_audio": task.normalized_audio,
            "speakers": task.speakers,
            "channels": task.channels,
        }

    def _eta(self, task: Task) -> Any:
        return self.context.get("etas", {}).get(task.pk)

    @extend_schema_field(EtaSerializer(allow_null=True))
    def get_eta(self, task: Task) -> dict[str, Any] | None:
        return eta_fields(self._eta(task))["eta"]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, task: Task) -> int | None:
        return getattr(self._eta(task), "queue_position", None)

    def get_has_result(self, task: Task) -> bool:
        return bool(task.result_path)

    @extend_schema_field(TaskUrlsSerializer)
    def get_urls(self, task: Task) -> dict[str, str | None]:
        # One serializer instance renders every task of a list: the route templates are
        # resolved once for all of them (reverse() per URL was a fifth of a 100-task list).
        if "_url_templates" not in self.__dict__:
            self._url_templates = task_url_templates()
        pk = str(task.pk)

        def url(name: str) -> str:
            return self._url_templates[name].replace(PK_PLACEHOLDER, pk)

        return {
            "self": url("detail"),
            "file": url("file") if task.has_file and task.audio_purged_at is None else None,
            "result": url("result") if task.result_path else None,
            "thumbnail": url("thumbnail") if task.thumbnail_path else None,
            "audio": url("audio")
            if task.normalized_audio and normalized_audio_name(task)
            else None,
            "analyze": url("analyze") if task.can_analyze() else None,
            "speakers": url("speakers") if task.can_label_speakers() else None,
        }


def eta_fields(eta: Any) -> dict[str, Any]:
    """A task's `eta` and `queue_position` fields, from its transcription.services.Eta (None
    for none)."""
    position = getattr(eta, "queue_position", None)
    if eta is None or (eta.estimated_start is None and eta.estimated_finish is None):
        return {"eta": None, "queue_position": position}
    field = serializers.DateTimeField()
    start, finish = eta.estimated_start, eta.estimated_finish
    return {
        "eta": {
            "estimated_start": field.to_representation(start) if start else None,
            "estimated_finish": field.to_representation(finish) if finish else None,
        },
        "queue_position": position,
    }


PK_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
TASK_ROUTES = ("detail", "file", "result", "thumbnail", "audio", "analyze", "speakers")


def task_url_templates() -> dict[str, str]:
    return {name: reverse(f"tasks_api:{name}", args=[PK_PLACEHOLDER]) for name in TASK_ROUTES}


SIMPLE = {"str": str, "int": int, "float": float, "bool": bool, "date": date.isoformat}


def _plan(serializer: TaskSerializer) -> list[tuple[str, str, str]]:
    """(name, attribute or method name, how) per readable field, worked out once per class."""
    cls = type(serializer)
    if "_fast_plan" not in cls.__dict__:
        cls._fast_plan = [
            (field.field_name, getattr(field, "method_name", field.source), _how(field))
            for field in serializer._readable_fields
        ]
    return cls._fast_plan


def _how(field: serializers.Field) -> str:
    iso = (
        api_settings.DATETIME_FORMAT == ISO_8601 and getattr(field, "format", ISO_8601) == ISO_8601
    )
    if isinstance(field, serializers.SerializerMethodField):
        return "method"
    if len(field.source_attrs) != 1:
        return "drf"
    if isinstance(field, serializers.DateTimeField):
        return "datetime" if iso and settings.USE_TZ else "drf"
    if isinstance(field, serializers.DateField):
        date_iso = getattr(field, "format", api_settings.DATE_FORMAT) == ISO_8601
        return "date" if date_iso else "drf"
    if isinstance(field, serializers.ChoiceField):
        return "choice"
    if isinstance(field, serializers.UUIDField):
        return "str" if field.uuid_format == "hex_verbose" else "drf"
    # Exact classes: subclasses may change how a value is shown.
    exact = {
        serializers.CharField: "str",
        serializers.IntegerField: "int",
        serializers.FloatField: "float",
        serializers.BooleanField: "bool",
    }
    return exact.get(type(field), "drf")


class TaskListSerializer(serializers.Serializer):
    tasks = TaskSerializer(many=True)
    total = serializers.IntegerField()


class SkippedSerializer(serializers.Serializer):
    id = serializers.CharField()
    reason = serializers.CharField()


class BulkUpdateResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many tasks the action changed.")
    tasks = TaskSerializer(many=True, help_text="The changed tasks as they are now.")
    skipped = SkippedSerializer(
        many=True, help_text="cancel: the tasks left as they were (already finished), and why."
    )


# The result document (GET /tasks/{id}/result?format=json), one shape per kind. They document
# what the worker writes (docs/CONTRACTS.md); nothing is validated against them.


class WordSerializer(serializers.Serializer):
    start = serializers.FloatField()
    end = serializers.FloatField()
    word = serializers.CharField()
    probability = serializers.FloatField()


class SegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField()
    # The decoder's figures describe what the machine heard: an edited transcript has none.
    avg_logprob = serializers.FloatField(required=False)
    compression_ratio = serializers.FloatField(required=False)
    no_speech_prob = serializers.FloatField(required=False)
    speaker = serializers.CharField(required=False, allow_null=True)
    words = WordSerializer(many=True, required=False)


class RunSerializer(serializers.Serializer):
    model = serializers.CharField(allow_null=True, help_text="Null for text and file results.")
    compute_type = serializers.CharField(required=False)
    device = serializers.CharField(required=False)
    gpu_name = serializers.CharField(required=False, allow_null=True)
    versions = serializers.DictField(child=serializers.CharField(), required=False)
    options = serializers.DictField(required=False)
    wall_seconds = serializers.FloatField(allow_null=True)
    real_time_factor = serializers.FloatField(required=False, allow_null=True)


class KeywordSerializer(serializers.Serializer):
    keyword = serializers.CharField()
    score = serializers.FloatField(help_text="YAKE score: lower is more relevant.")


class LanguageCandidateSerializer(serializers.Serializer):
    language = serializers.CharField()
    probability = serializers.FloatField()


class SentimentSerializer(serializers.Serializer):
    supported = serializers.BooleanField(help_text="False for languages other than English.")
    method = serializers.CharField(allow_null=True)
    label = serializers.ChoiceField(choices=["positive", "neutral", "negative"], required=False)
    compound = serializers.FloatField(required=False)
    positive = serializers.FloatField(required=False)
    neutral = serializers.FloatField(required=False)
    negative = serializers.FloatField(required=False)
    reason = serializers.CharField(required=False, help_text="Why it was not analysed.")


class SummarySerializer(serializers.Serializer):
    method = serializers.CharField()
    sentences = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()


class TextStatsSerializer(serializers.Serializer):
    characters = serializers.IntegerField()
    words = serializers.IntegerField()
    sentences = serializers.IntegerField()
    analysed_characters = serializers.IntegerField()
    truncated = serializers.BooleanField()


class AnalysisSerializer(serializers.Serializer):
    language = serializers.CharField(allow_null=True)
    language_probability = serializers.FloatField(allow_null=True)
    language_candidates = LanguageCandidateSerializer(many=True)
    keywords = KeywordSerializer(many=True)
    sentiment = SentimentSerializer()
    summary = SummarySerializer()
    stats = TextStatsSerializer()
    versions = serializers.DictField(child=serializers.CharField())


class TranscriptResultSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    partial = serializers.BooleanField()
    text = serializers.CharField()
    language = serializers.CharField(allow_null=True)
    language_probability = serializers.FloatField(allow_null=True)
    duration = serializers.FloatField(allow_null=True)
    confidence = serializers.FloatField(allow_null=True)
    segments = SegmentSerializer(many=True)
    run = RunSerializer()
    transcript_version = serializers.IntegerField(
        required=False, help_text="An edited transcript's revision (absent: the machine's)."
    )
    analysis = AnalysisSerializer(
        required=False, help_text="Present once a follow-up analysis was asked for and ran."
    )


class VideoStreamSerializer(serializers.Serializer):
    codec = serializers.CharField()
    codec_long_name = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    resolution = serializers.CharField(help_text="WIDTHxHEIGHT")
    frame_rate = serializers.FloatField(allow_null=True)
    pixel_format = serializers.CharField(allow_null=True)
    frames = serializers.IntegerField(allow_null=True)
    bit_rate = serializers.IntegerField(allow_null=True)


class AudioStreamSerializer(serializers.Serializer):
    codec = serializers.CharField()
    codec_long_name = serializers.CharField()
    sample_rate = serializers.IntegerField()
    channels = serializers.IntegerField()
    layout = serializers.CharField(allow_null=True)
    bit_rate = serializers.IntegerField(allow_null=True)


class VideoMetadataSerializer(serializers.Serializer):
    container = serializers.CharField()
    duration = serializers.FloatField(allow_null=True)
    bit_rate = serializers.IntegerField(allow_null=True)
    size_bytes = serializers.IntegerField()
    has_audio = serializers.BooleanField()
    video = VideoStreamSerializer(allow_null=True)
    audio = AudioStreamSerializer(allow_null=True)


class ThumbnailSerializer(serializers.Serializer):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    bytes = serializers.IntegerField()
    content_type = serializers.CharField()


class NormalizedAudioSerializer(serializers.Serializer):
    format = serializers.CharField()
    sample_rate = serializers.IntegerField()
    channels = serializers.IntegerField()
    duration = serializers.FloatField()
    bytes = serializers.IntegerField()
    sha256 = serializers.CharField()


class VideoResultSerializer(TranscriptResultSerializer):
    kind = serializers.ChoiceField(choices=[Kind.VIDEO.value])
    video = VideoMetadataSerializer()
    thumbnail = ThumbnailSerializer(allow_null=True)
    normalized_audio = NormalizedAudioSerializer(allow_null=True)
    notice = serializers.CharField(
        required=False,
        help_text=(
            "Set when the video has no sound (nothing was transcribed) or when its sound track "
            "ends well before its picture (the rest is silent)."
        ),
    )


class DocumentSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["text", "docx", "pdf"])
    encoding = serializers.CharField(required=False)
    pages = serializers.IntegerField(required=False)
    paragraphs = serializers.IntegerField(required=False)
    characters = serializers.IntegerField()
    words = serializers.IntegerField()
    truncated = serializers.BooleanField(
        help_text="The text in the result stops after 300,000 characters; the upload is whole."
    )


class TextResultSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    partial = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=[Kind.TEXT.value])
    text = serializers.CharField(help_text="The document's text.")
    language = serializers.CharField(allow_null=True)
    language_probability = serializers.FloatField(allow_null=True)
    document = DocumentSerializer()
    analysis = AnalysisSerializer()
    run = RunSerializer()


class ChecksumsSerializer(serializers.Serializer):
    md5 = serializers.CharField()
    sha1 = serializers.CharField()
    sha256 = serializers.CharField()


class FileFactsSerializer(serializers.Serializer):
    name = serializers.CharField()
    size = serializers.IntegerField()
    mime_type = serializers.CharField(help_text="Detected from the content.")
    extension = serializers.CharField(allow_null=True)
    checksums = ChecksumsSerializer()


class FileResultSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    partial = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=[Kind.FILE.value])
    file = FileFactsSerializer()
    run = RunSerializer()
