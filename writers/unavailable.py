"""A page or API request that needed the object store while it could not be reached: 503 with
a message that says so (the API's error shape for API clients, a page for people), never a 500.
DRF views answer the same through writers.api.exception_handler."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

from tasks_app.blobs import StoreUnavailable
from writers.api import (
    STORE_RETRY_AFTER_SECONDS,
    STORE_UNAVAILABLE,
    _api_error,
    _is_api,
    store_unavailable_message,
)


class StoreUnavailableMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StoreUnavailable):
            return None
        message = store_unavailable_message()
        if _is_api(request):
            response: HttpResponse = _api_error(request, message, STORE_UNAVAILABLE, 503)
        else:
            response = render(request, "503_storage.html", {"message": message}, status=503)
        response["Retry-After"] = str(STORE_RETRY_AFTER_SECONDS)
        return response
