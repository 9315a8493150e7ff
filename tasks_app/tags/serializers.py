"""Shapes of the tags API."""

from __future__ import annotations

from rest_framework import serializers

from tasks_app.tags.models import Tag


class TagSerializer(serializers.ModelSerializer):
    workspace = serializers.IntegerField(source="workspace_id", read_only=True)
    task_count = serializers.IntegerField(
        read_only=True, help_text="Live tasks (not in the Trash) that carry the tag."
    )

    class Meta:
        model = Tag
        fields = ["id", "workspace", "name", "color", "task_count", "created_at"]
        read_only_fields = fields


class TagListSerializer(serializers.Serializer):
    tags = TagSerializer(many=True)


class TagListQuerySerializer(serializers.Serializer):
    workspace = serializers.CharField(
        required=False, help_text="A workspace id: only its tags (all your workspaces' if absent)."
    )


class TagCreateSerializer(serializers.Serializer):
    workspace = serializers.CharField(help_text="The id of a workspace where you are an editor.")
    name = serializers.CharField(help_text="1 to 50 characters; unique per workspace, case aside.")
    color = serializers.CharField(
        required=False, allow_blank=True, help_text="#rrggbb; a palette colour when absent."
    )


class TagUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    color = serializers.CharField(required=False, allow_blank=True)


class TagMergeSerializer(serializers.Serializer):
    into = serializers.CharField(help_text="The id of the tag (of the same workspace) to keep.")


class TaskTagAddSerializer(serializers.Serializer):
    tag = serializers.CharField(
        required=False, help_text="The id of a tag of the task's workspace."
    )
    name = serializers.CharField(
        required=False,
        help_text="Instead of `tag`: the tag with this name, made when the workspace has none.",
    )


class TagChipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name", "color"]
        read_only_fields = fields


class TaskTagsSerializer(serializers.Serializer):
    """A task's tags after a change."""

    tags = TagChipSerializer(many=True)
