"""Project-wide API behaviour: every error is JSON with a `detail`, never an HTML 500 page."""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
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
