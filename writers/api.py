"""Project-wide API behaviour: every error is JSON with a `detail`, never an HTML 500 page."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tasks_app.blobs import StoreUnavailable

logger = logging.getLogger(__name__)


def uuid_or_404(raw: str) -> uuid.UUID:
    """Ids are spelled `<str:…>` in the URLs so a malformed one is the API's JSON 404."""
    try:
        return uuid.UUID(raw)
    except ValueError as error:
        raise Http404 from error


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


def validated(serializer_class: type[serializers.Serializer], data: Any) -> Any:
    """The body (or query) checked by `serializer_class`: its validated data, or a 400 naming
    each bad field."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(
    serializer_class: type[serializers.Serializer], query: QueryDict
) -> Mapping[str, Any]:
    """A query string checked by `serializer_class`, as `validated` does, for a serializer that
    reads nothing but the query (no database, request or clock).

    Clients ask for the same list again and again (a page's poll, a script's loop), and DRF
    builds a serializer by deep-copying every declared field: more of a list request's CPU than
    the rest of its checks (bench/LOAD.md). So each distinct query's result is kept (read-only,
    lists as tuples); a refused one is checked, and refused, every time."""
    items = tuple(sorted((name, tuple(values)) for name, values in query.lists()))
    return _validated_query(serializer_class, items)


# Distinct queries kept per process: a busy process's readers, filters and pages.
QUERIES_KEPT = 512


@lru_cache(maxsize=QUERIES_KEPT)
def _validated_query(
    serializer_class: type[serializers.Serializer], items: tuple[tuple[str, tuple[str, ...]], ...]
) -> Mapping[str, Any]:
    query = QueryDict(mutable=True)
    for name, values in items:
        query.setlist(name, list(values))
    data = validated(serializer_class, query)
    return MappingProxyType(
        {name: tuple(value) if isinstance(value, list) else value for name, value in data.items()}
    )


# A request that needed stored bytes while the object store could not be reached (uploads
# refuse themselves earlier, in tasks_app.uploads, with the same code).
STORE_UNAVAILABLE = "storage_unavailable"
STORE_RETRY_AFTER_SECONDS = 30


def store_unavailable_message() -> str:
    return _("The file store cannot be reached right now. Try again in a minute.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        # The services' refusals (model validation, bad options) are the client's input: 400
        # per field, like the serializers' own.
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = serializers.ValidationError(detail)
    if isinstance(exc, RequestDataTooBig):
        # Django's refusal of a body over DATA_UPLOAD_MAX_MEMORY_SIZE (or writers.limits'), with
        # the code writers.limits answers with before a view runs.
        data = {"detail": BodyTooLarge.default_detail, "code": BodyTooLarge.default_code}
        return Response(data, status=BodyTooLarge.status_code)
    if isinstance(exc, StoreUnavailable):
        data = {"detail": store_unavailable_message(), "code": STORE_UNAVAILABLE}
        headers = {"Retry-After": str(STORE_RETRY_AFTER_SECONDS)}
        return Response(data, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response(
            {"detail": "Internal error. It has been logged.", "code": "internal_error"},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(response.data, list):
        response.data = {"detail": response.data[0] if len(response.data) == 1 else response.data}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        # Field errors stay per field; `detail` sums them up for clients that read only that.
        response.data = {"detail": "Invalid input.", **response.data}
    return response


def _api_error(request: HttpRequest, message: str, code: str, http_status: int) -> JsonResponse:
    if request.path.startswith("/v1/"):
        # The OpenAI-compatible endpoints answer in OpenAI's error shape, even for a wrong URL.
        kind = "invalid_request_error" if http_status < 500 else "server_error"
        error = {"message": message, "type": kind, "param": None, "code": code}
        return JsonResponse({"error": error}, status=http_status)
    return JsonResponse({"detail": message, "code": code}, status=http_status)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/v1/"))


def body_too_large(request: HttpRequest) -> HttpResponse:
    """413 in the API's shape, or a plain page: the body was not read, so nothing else is known."""
    message, code = BodyTooLarge.default_detail, BodyTooLarge.default_code
    if _is_api(request):
        return _api_error(request, message, code, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return HttpResponse(
        f"<!doctype html><title>413</title><h1>{message}</h1>\n",
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's answer to a SuspiciousOperation outside a DRF view; a body over the limit, which
    Django counts as one, is 413."""
    if isinstance(exception, RequestDataTooBig):
        return body_too_large(request)
    return defaults.bad_request(request, exception)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL no route matches (or a path parameter of the wrong form): JSON for API clients."""
    if _is_api(request):
        return _api_error(request, "Not found.", "not_found", status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """PermissionDenied outside a DRF view: JSON for API clients, the app's 403 page for people."""
    if _is_api(request):
        message = "You do not have permission to perform this action."
        return _api_error(request, message, "permission_denied", status.HTTP_403_FORBIDDEN)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """A crash outside a DRF view (middleware, URL resolving): still JSON for API clients."""
    if _is_api(request):
        message = "Internal error. It has been logged."
        return _api_error(request, message, "internal_error", status.HTTP_500_INTERNAL_SERVER_ERROR)
    return defaults.server_error(request)
