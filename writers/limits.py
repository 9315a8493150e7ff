"""How large a request body may be, for every endpoint.

A body other than a multipart form is read into memory, so one declared larger than
DATA_UPLOAD_MAX_MEMORY_SIZE is refused (413) before a byte is read: DRF's JSON parser reads the
stream itself and would not stop at Django's limit. A multipart form's files stream to temporary
files and are counted while they arrive; no endpoint takes more than MAX_UPLOAD_BYTES of them.
The upload endpoints install tasks_app.uploads' handler in place of this one, whose refusal names
the file and the limit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from writers.api import body_too_large

# What a multipart form carries besides its file (boundaries, small fields): a body whose
# Content-Length passes MAX_UPLOAD_BYTES by more than this is refused before a byte is read.
FORM_OVERHEAD_BYTES = 1024 * 1024


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams every file to a temporary file and stops as soon as it passes MAX_UPLOAD_BYTES.

    Nothing is held in memory, and a refused upload's temporary file is closed, which deletes it.
    """

    def refusal(self) -> Exception:
        # Django answers it with handler400 (writers.api.bad_request), DRF with writers.api's
        # exception handler: 413 either way.
        return RequestDataTooBig("The request body is too large.")

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's signature)
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            raise self.refusal()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            self.file.close()
            raise self.refusal()
        return super().receive_data_chunk(raw_data, start)


def declared_length(request: HttpRequest) -> int:
    length = str(request.META.get("CONTENT_LENGTH") or "")
    return int(length) if length.isdigit() else 0


class RequestSizeLimitMiddleware(MiddlewareMixin):
    """Before anything reads a body (CSRF checking reads forms): refuse one that is too large,
    or install the counting upload handler for a multipart one."""

    # A MiddlewareMixin so that it also runs in the web's async middleware chain (writers/asgi.py).
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if request.content_type and request.content_type.startswith("multipart/"):
            request.upload_handlers = [LimitedUploadHandler(request)]
        elif declared_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return body_too_large(request)
        return None
