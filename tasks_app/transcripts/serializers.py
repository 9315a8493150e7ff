"""The transcript API's shapes, for the OpenAPI schema; the operations are validated by
tasks_app.transcripts.operations, which names the failing field."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from tasks_app.serializers import WordSerializer
from tasks_app.transcripts.services import Revision, Transcript


class TranscriptSegmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(
        help_text="Stable across revisions; a split's new half gets a new id."
    )
    start = serializers.FloatField()
    end = serializers.FloatField()
    text = serializers.CharField(allow_blank=True)
    speaker = serializers.CharField(allow_null=True)
    language = serializers.CharField(
        allow_null=True, help_text="The segment's language, when known."
    )
    channel = serializers.IntegerField(allow_null=True, help_text="Stereo channel, when split.")
    words = WordSerializer(
        many=True, required=False, help_text="Word timings, while the text is the machine's."
    )


class TranscriptSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="0 while not edited; send it back with PATCH (optimistic locking)."
    )
    segments = TranscriptSegmentSerializer(many=True)
    speakers = serializers.ListField(
        child=serializers.CharField(), help_text="Distinct speakers, in order of appearance."
    )
    editable = serializers.BooleanField(help_text="False until the task has completed.")
    edited = serializers.BooleanField()

    @staticmethod
    def of(transcript: Transcript) -> dict[str, Any]:
        return TranscriptSerializer(transcript).data


class EditOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["edit"])
    id = serializers.IntegerField()
    text = serializers.CharField(required=False)
    start = serializers.FloatField(required=False, min_value=0)
    end = serializers.FloatField(required=False, min_value=0)


class SplitOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["split"])
    id = serializers.IntegerField()
    at = serializers.IntegerField(min_value=1, help_text="Character offset in the text.")
    time = serializers.FloatField(
        required=False, help_text="Where in time; default from word timings, else proportional."
    )


class MergeOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["merge"])
    id = serializers.IntegerField(help_text="Merged with the segment after it.")


class DeleteOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["delete"])
    id = serializers.IntegerField()


class SpeakerOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["speaker"])
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    speaker = serializers.CharField(allow_null=True, allow_blank=True, help_text="Empty clears.")


class RenameSpeakerOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["rename_speaker"])
    from_ = serializers.CharField()
    to = serializers.CharField()

    def get_fields(self) -> dict[str, Any]:
        # "from" is a Python keyword.
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class ReplaceOperation(serializers.Serializer):
    op = serializers.ChoiceField(choices=["replace"])
    find = serializers.CharField()
    replace = serializers.CharField(allow_blank=True)
    match_case = serializers.BooleanField(default=False)
    whole_word = serializers.BooleanField(default=False)


OPERATION = PolymorphicProxySerializer(
    component_name="TranscriptOperation",
    serializers={
        "edit": EditOperation,
        "split": SplitOperation,
        "merge": MergeOperation,
        "delete": DeleteOperation,
        "speaker": SpeakerOperation,
        "rename_speaker": RenameSpeakerOperation,
        "replace": ReplaceOperation,
    },
    resource_type_field_name="op",
    many=True,
)


class TranscriptPatchSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0, help_text="The version the operations apply to (409 when stale)."
    )
    operations = OPERATION


class RestoreSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=0, required=False, help_text="When sent, 409 unless the transcript is there."
    )


class RevisionSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="0 is the machine's transcript.")
    author = serializers.CharField(
        source="author_name", allow_blank=True, help_text="Empty for the system."
    )
    created_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField()

    @staticmethod
    def of(revisions: list[Revision]) -> list[dict[str, Any]]:
        return RevisionSerializer(revisions, many=True).data


class RevisionListSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    revisions = RevisionSerializer(many=True)


class TranscriptErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    field = serializers.CharField(required=False, help_text="400: the field at fault.")
    transcript = TranscriptSerializer(
        required=False, help_text="409 stale_version: the transcript as it is now."
    )
