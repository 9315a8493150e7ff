"""Stored files with byte ranges (RFC 9110 §14), so a player can seek, or handed to nginx.

Django's FileResponse always sends the whole file, and a browser cannot seek in an <audio> whose
server ignores `Range`. Behind the bundled nginx (`X_ACCEL_REDIRECT=1`) the app only checks
ownership and names the file; nginx sends the bytes and answers the ranges itself. On an object
store (STORAGE_BACKEND=s3) the app streams the asked range from the store, with the object's
own ETag, since nginx has no file to send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import http_date
from rest_framework.request import Request

from tasks_app import blobs

# The internal location of deploy/nginx/templates/writers.conf.template: STORAGE_ROOT aliased.
X_ACCEL_PREFIX = "/protected/"
BLOCK_BYTES = 64 * 1024


class Unsatisfiable(Exception):
    """A well-formed range that starts past the end of the file: 416."""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte (inclusive) of a single `bytes=` range, clamped to the file.

    None means "send the whole file": no header, a malformed one, another unit or several ranges
    (a server may always ignore Range, and a player asks for one range at a time).
    """
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = spec.strip().partition("-")
    first_text, last_text = first_text.strip(), last_text.strip()
    if not dash or not (first_text or last_text):
        return None
    if not all(part.isascii() and part.isdigit() for part in (first_text, last_text) if part):
        return None
    if not first_text:  # bytes=-n: the last n bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(size - suffix, 0), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return first, min(int(last_text), size - 1) if last_text else size - 1


def file_response(request: HttpRequest | Request, name: str, content_type: str) -> HttpResponseBase:
    """200 with the whole file, 206 with the asked range, or 416; with `Accept-Ranges: bytes`.

    The caller has checked that the user may read `name`, a stored file (tasks_app.blobs)."""
    if settings.X_ACCEL_REDIRECT and blobs.is_local():
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = X_ACCEL_PREFIX + quote(name)
        return response
    stat = blobs.stat(name)
    size = stat.size
    validators = {"ETag": stat.etag, "Last-Modified": http_date(stat.modified.timestamp())}
    header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range", "").strip()
    # A range is only good for the version of the file the client already holds part of.
    if if_range and if_range not in validators.values():
        header = ""
    try:
        span = parse_range(header, size) if header else None
    except Unsatisfiable:
        response = HttpResponse(status=416, content_type=content_type)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    first, last = span if span else (0, size - 1)
    length = max(last - first + 1, 0)
    if request.method == "HEAD" or length == 0:
        response = HttpResponse(content_type=content_type)
    else:
        # Opened before the answer starts, so a store that is down is a 503, not a cut body.
        stream = blobs.open_range(name, first, last) if span else blobs.open_read(name)
        response = StreamingHttpResponse(read_span(stream, length), content_type=content_type)
    if span:
        response.status_code = 206
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    for header_name, value in validators.items():
        response[header_name] = value
    return response


def read_span(file: IO[bytes], length: int) -> Iterator[bytes]:
    """`length` bytes of `file` from where it stands; it is closed when done or abandoned."""
    with file:
        while length > 0:
            block = file.read(min(BLOCK_BYTES, length))
            if not block:
                return
            length -= len(block)
            yield block
