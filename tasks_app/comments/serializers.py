from __future__ import annotations

from rest_framework import serializers

from tasks_app.comments.models import Comment, CommentEdit


class CommentAuthorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    full_name = serializers.CharField()


class CommentSerializer(serializers.ModelSerializer):
    """A comment as its reader sees it (comments_services.prepare has run on it)."""

    author = CommentAuthorSerializer(allow_null=True, help_text="null once the account is deleted.")
    html = serializers.CharField(help_text="The Markdown rendered and sanitised.")
    can_edit = serializers.BooleanField(help_text="Whether the caller may edit it (its author).")
    can_delete = serializers.BooleanField(
        help_text="Whether the caller may delete it (its author, or a workspace admin)."
    )

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "html", "created_at", "edited_at", "deleted_at"]
        fields += ["can_edit", "can_delete"]


class CommentListSerializer(serializers.Serializer):
    comments = CommentSerializer(many=True)
    total = serializers.IntegerField()


class CommentListQuerySerializer(serializers.Serializer):
    deleted = serializers.BooleanField(
        default=False,
        help_text="Include deleted comments (`deleted_at` set, `body` as it was when deleted): "
        "the workspace's admins only, 403 for others.",
    )


class CommentInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="Markdown, 1 to 10,000 characters once trimmed; `@username` mentions a member.",
    )


class CommentEditSerializer(serializers.ModelSerializer):
    edited_by = CommentAuthorSerializer(allow_null=True)
    body = serializers.CharField(help_text="The text before this edit (or before deletion).")

    class Meta:
        model = CommentEdit
        fields = ["id", "body", "edited_by", "edited_at"]


class CommentHistorySerializer(serializers.Serializer):
    edits = CommentEditSerializer(many=True)
    deleted_at = serializers.DateTimeField(allow_null=True)
