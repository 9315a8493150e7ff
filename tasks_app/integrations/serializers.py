"""Shapes of the integrations API: webhooks, notifications, preferences, retention."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User
from tasks_app.integrations import notifications
from tasks_app.integrations.models import Notification, Webhook, WebhookDelivery


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500)


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "url", "secret", "is_active", "created_at"]
        read_only_fields = fields


class WebhookListSerializer(serializers.Serializer):
    webhooks = WebhookSerializer(many=True)


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "payload",
            "status",
            "attempts",
            "response_status",
            "error",
            "created_at",
            "last_attempt_at",
            "next_attempt_at",
        ]
        read_only_fields = fields


class DeliveryListSerializer(serializers.Serializer):
    deliveries = DeliverySerializer(many=True)


class NotificationSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        # invitation_id: a workspace.invited notification's invitation, to accept at
        # /api/v1/invitations/{id}/accept.
        fields = [
            "id",
            "event",
            "task_id",
            "invitation_id",
            "title",
            "message",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields

    def get_message(self, notification: Notification) -> str:
        return notifications.message(notification)


class NotificationListSerializer(serializers.Serializer):
    notifications = NotificationSerializer(many=True)
    unread = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Leave out to mark all read."
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferencesSerializer(serializers.ModelSerializer):
    audio_retention_days = serializers.IntegerField(
        min_value=1, max_value=3650, allow_null=True, required=False
    )

    class Meta:
        model = User
        fields = ["notify_by_email", "audio_retention_days"]


class RetentionSerializer(serializers.Serializer):
    delete_after = serializers.DateTimeField(
        allow_null=True, help_text="When to delete the audio; null: the owner's default."
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        value = instance["delete_after"]
        return {
            "delete_after": serializers.DateTimeField().to_representation(value) if value else None
        }
