"""The integrations API: webhooks and their delivery log, notifications, preferences and a
task's audio retention. Thin views over the integration services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tasks_app.integrations import notifications, retention, webhooks
from tasks_app.integrations.models import Webhook
from tasks_app.integrations.serializers import (
    DeliveryListSerializer,
    DeliverySerializer,
    MarkedSerializer,
    MarkReadSerializer,
    NotificationListSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    RetentionSerializer,
    WebhookCreateSerializer,
    WebhookListSerializer,
    WebhookSerializer,
)
from tasks_app.services import get_task_for_user
from tasks_app.workspaces.models import Role
from writers.api import uuid_or_404, validated

DELIVERY_LOG_LIMIT = 100
NOTIFICATION_LIMIT = 100


def _field_errors(error: DjangoValidationError) -> serializers.ValidationError:
    return serializers.ValidationError(error.message_dict)


@extend_schema(methods=["GET"], responses=WebhookListSerializer, operation_id="webhooks_list")
@extend_schema(
    methods=["POST"],
    request=WebhookCreateSerializer,
    responses={201: WebhookSerializer},
    operation_id="webhooks_create",
)
@api_view(["GET", "POST"])
def webhook_list(request: Request) -> Response:
    if request.method == "GET":
        hooks = Webhook.objects.filter(user=request.user)
        return Response({"webhooks": WebhookSerializer(hooks, many=True).data})
    data = validated(WebhookCreateSerializer, request.data)
    try:
        webhook = webhooks.create_webhook(request.user, data["url"])
    except DjangoValidationError as error:
        raise _field_errors(error) from error
    return Response(WebhookSerializer(webhook).data, status=status.HTTP_201_CREATED)


@extend_schema(responses={204: None}, operation_id="webhooks_destroy")
@api_view(["DELETE"])
def webhook_detail(request: Request, webhook_id: str) -> Response:
    get_object_or_404(Webhook, pk=uuid_or_404(webhook_id), user=request.user).delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    responses={200: DeliveryListSerializer},
    operation_id="webhooks_deliveries",
    summary=f"The webhook's last {DELIVERY_LOG_LIMIT} deliveries, newest first",
)
@api_view(["GET"])
def webhook_deliveries(request: Request, webhook_id: str) -> Response:
    webhook = get_object_or_404(Webhook, pk=uuid_or_404(webhook_id), user=request.user)
    deliveries = webhook.deliveries.order_by("-created_at")[:DELIVERY_LOG_LIMIT]
    return Response({"deliveries": DeliverySerializer(deliveries, many=True).data})


@extend_schema(
    responses=NotificationListSerializer,
    operation_id="notifications_list",
    summary=f"The last {NOTIFICATION_LIMIT} notifications and the unread count",
)
@api_view(["GET"])
def notification_list(request: Request) -> Response:
    latest = notifications.notifications_for(request.user)[:NOTIFICATION_LIMIT]
    return Response(
        {
            "notifications": NotificationSerializer(latest, many=True).data,
            "unread": notifications.unread_count(request.user),
        }
    )


@extend_schema(
    request=MarkReadSerializer, responses=MarkedSerializer, operation_id="notifications_read"
)
@api_view(["POST"])
def notification_read(request: Request) -> Response:
    data = validated(MarkReadSerializer, request.data)
    marked = notifications.mark_read(request.user, data.get("ids"))
    return Response({"marked": marked})


@extend_schema(methods=["GET"], responses=PreferencesSerializer, operation_id="preferences")
@extend_schema(
    methods=["PATCH"],
    request=PreferencesSerializer,
    responses=PreferencesSerializer,
    operation_id="preferences_update",
)
@api_view(["GET", "PATCH"])
def preferences(request: Request) -> Response:
    user = request.user
    if request.method == "PATCH":
        serializer = PreferencesSerializer(user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changed = list(serializer.validated_data)
        for name, value in serializer.validated_data.items():
            setattr(user, name, value)
        if changed:
            user.save(update_fields=[*changed, "updated_at"])
    return Response(PreferencesSerializer(user).data)


@extend_schema(methods=["GET"], responses=RetentionSerializer, operation_id="tasks_retention")
@extend_schema(
    methods=["PUT"],
    request=RetentionSerializer,
    responses=RetentionSerializer,
    operation_id="tasks_retention_update",
)
@api_view(["GET", "PUT"])
def task_retention(request: Request, task_id: str) -> Response:
    need = Role.EDITOR if request.method == "PUT" else Role.VIEWER
    task = get_task_for_user(request.user, task_id, need)
    if request.method == "PUT":
        data = validated(RetentionSerializer, request.data)
        retention.set_delete_after(task, data["delete_after"])
    return Response(RetentionSerializer({"delete_after": retention.delete_after(task)}).data)
