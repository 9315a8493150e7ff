"""OpenAPI generation: every operation lists the refusals its view can give, not only success.

The refusals below follow from how a view is configured (authentication, permissions, throttles,
a request body, a path parameter), so they are derived from that configuration instead of being
repeated on every `@extend_schema`, where a new view would forget them. A code a view declares
itself keeps its own description and body.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAdminUser

from accounts.authentication import JWTCookieOrBearerAuthentication

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSRF_REFUSAL = "Signed in by cookie without a valid X-CSRFToken header."
SERVER_BUSY = (
    "Every upload check slot of the server is busy (PROBE_CONCURRENCY) and none came free within "
    "PROBE_QUEUE_SECONDS (code `server_busy`); nothing was stored. Send the same request again "
    "after the Retry-After header's seconds."
)


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer of /api/v1 (writers.api.exception_handler)."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class WritersAutoSchema(AutoSchema):
    # Views with another error shape (the OpenAI-compatible ones) set `error_serializer`.
    default_error_serializer: Any = ErrorSerializer

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        error = getattr(self.view, "error_serializer", self.default_error_serializer)
        for code, description in self.refusals().items():
            if str(code) not in responses:
                response = self._get_response_for_code(error, str(code), direction=direction)
                response["description"] = description
                responses[str(code)] = response
        return responses

    def refusals(self) -> dict[int, str]:
        view = self.view
        permissions = list(view.permission_classes)
        authentications = list(view.authentication_classes)
        signed_in_only = authentications and permissions and AllowAny not in permissions
        has_body = self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer()
        refusals: dict[int, str] = {}
        if has_body:
            refusals[400] = "Invalid input; field errors per field."
            refusals[415] = "The body is not in a media type this operation reads."
        if signed_in_only:
            refusals[401] = "Not signed in, or the token is invalid or expired."
        csrf = self.method in UNSAFE_METHODS and JWTCookieOrBearerAuthentication in authentications
        if IsAdminUser in permissions:
            refusals[403] = "Staff only." + (f" {CSRF_REFUSAL}" if csrf else "")
        elif csrf:
            refusals[403] = CSRF_REFUSAL
        if "{" in self.path:
            refusals[404] = "Not found, or not yours."
        if view.throttle_classes:
            refusals[429] = "Too many requests; retry after the Retry-After header's seconds."
        return refusals


def server_busy(error: Any = ErrorSerializer) -> dict[int, OpenApiResponse]:
    """The refusal of an operation that takes an upload when the upload probe's limit is reached
    (tasks_app.uploads.probe_upload), in the view's error shape; its header is RETRY_AFTER."""
    return {503: OpenApiResponse(error, description=SERVER_BUSY)}


# For `parameters=`: the Retry-After header of a server_busy 503.
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    required=True,
    response=[503],
    description="Seconds to wait before sending the same request again.",
)
