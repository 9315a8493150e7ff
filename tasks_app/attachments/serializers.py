from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tasks_app.attachments.models import Attachment
from tasks_app.attachments.services import is_document


class UploaderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField()


class AttachmentSerializer(serializers.ModelSerializer):
    filename = serializers.CharField(source="original_filename")
    size = serializers.IntegerField(source="file_size", help_text="Bytes.")
    content_type = serializers.CharField(help_text="By the file's content, not by its name.")
    uploaded_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    analyze_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = (
            "id",
            "filename",
            "size",
            "content_type",
            "sha256",
            "uploaded_by",
            "created_at",
            "download_url",
            "analyze_url",
        )

    @extend_schema_field(UploaderSerializer(allow_null=True))
    def get_uploaded_by(self, attachment: Attachment) -> dict[str, Any] | None:
        """Null once the account is gone."""
        user = attachment.uploaded_by
        if user is None:
            return None
        return {"id": str(user.pk), "username": user.username, "full_name": user.full_name}

    def get_download_url(self, attachment: Attachment) -> str:
        return reverse("tasks_api:attachment", args=[attachment.task_id, attachment.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_analyze_url(self, attachment: Attachment) -> str | None:
        """Where to POST to analyse the attachment's text; null when it is no document."""
        if not is_document(attachment):
            return None
        return reverse("tasks_api:attachment_analyze", args=[attachment.task_id, attachment.pk])


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="Any file but a program or a web page, up to the upload size limit. A file "
        "named as audio, video or a document must be one, and whole.",
    )


class AttachmentListSerializer(serializers.Serializer):
    attachments = AttachmentSerializer(many=True)
