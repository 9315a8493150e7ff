"""Upload safety: the streaming size limit, accepted formats, content probing and storage.

Pages and the API both call `limit_upload_size(request)` before anything reads the body, then
hand the uploaded file to `tasks_app.services.create_task`, which calls `store_upload`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest

ACCEPTED_EXTENSIONS = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac")
ACCEPTED_CONTENT_TYPES = frozenset(
    {
        "audio/mpeg",
        "audio/mp3",
        "audio/wav",
        "audio/wave",
        "audio/x-wav",
        "audio/aac",
        "audio/m4a",
        "audio/x-m4a",
        "audio/ogg",
        "audio/flac",
        # Aliases that common browsers and tools send for the same formats.
        "audio/x-flac",
        "audio/mp4",
        "audio/x-aac",
        "audio/vnd.wave",
        # No claim at all (curl, scripts): the probe decides.
        "application/octet-stream",
        "",
    }
)
PROBE_TIMEOUT_SECONDS = 30
# Non-file fields of an upload form are small; a body larger than the file limit plus this is
# refused from its Content-Length before a byte is read.
FORM_OVERHEAD_BYTES = 1024 * 1024
COPY_CHUNK_BYTES = 1024 * 1024


class UploadRejected(Exception):  # noqa: N818 (the contract's name)
    """A file Writers will not store: `code` is stable, `message` is for the user."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def too_large() -> UploadRejected:
    limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
    return UploadRejected(
        "file_too_large", f"The file is larger than the {limit_mb:g} MB limit.", 413
    )


class SizeLimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams every file to a temporary file and stops as soon as it passes MAX_UPLOAD_BYTES.

    Nothing is held in memory, and a refused upload's temporary file is closed, which deletes it.
    """

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 (Django's signature)
        content_length: int,
        boundary: bytes,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            raise too_large()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            self.file.close()
            raise too_large()
        return super().receive_data_chunk(raw_data, start)


def limit_upload_size(request: Any) -> None:
    """Install the streaming size limit on `request` (a Django or DRF request) before its body
    is read. Reading `request.POST`/`FILES`/`data` afterwards raises UploadRejected (413) for an
    oversize body. Django's CSRF middleware reads the body before a view runs, so a page view
    that calls this must be `csrf_exempt` and check CSRF itself (`csrf_protect` inside)."""
    http_request: HttpRequest = getattr(request, "_request", request)
    http_request.upload_handlers = [SizeLimitedUploadHandler(http_request)]


@dataclass(frozen=True)
class StoredUpload:
    path: str
    original_filename: str
    size: int
    sha256: str
    content_type: str
    duration: float


def display_filename(name: str, fallback: str = "upload") -> str:
    """A filename safe to show and to put in a header: no directories, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.replace('"', "'").strip(" .")
    return name[:200] or fallback


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    filename = display_filename(filename, fallback="download")
    path = Path(filename)
    stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9._ ()-]", "_", stem).strip(" ._") or "download"
    suffix = re.sub(r"[^A-Za-z0-9.]", "", path.suffix)
    quoted = quote(filename, safe="")
    return f"attachment; filename=\"{stem}{suffix}\"; filename*=UTF-8''{quoted}"


def upload_extension(upload: UploadedFile) -> str:
    extension = Path(display_filename(upload.name or "")).suffix.lower()
    if extension not in ACCEPTED_EXTENSIONS:
        raise UploadRejected(
            "unsupported_extension",
            f"Files of type '{extension or 'none'}' are not accepted. Upload one of: "
            f"{', '.join(ACCEPTED_EXTENSIONS)}.",
            415,
        )
    return extension


def check_upload(upload: UploadedFile) -> str:
    """The checks that need no disk: name, declared type, size. Returns the extension."""
    extension = upload_extension(upload)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in ACCEPTED_CONTENT_TYPES:
        raise UploadRejected(
            "unsupported_media_type",
            f"The file was sent as '{content_type}', which is not an audio type we accept.",
            415,
        )
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise too_large()
    if not upload.size:
        raise UploadRejected("empty_file", "The file is empty.", 400)
    return extension


def store_upload(upload: UploadedFile, task_id: uuid.UUID) -> StoredUpload:
    """Check, copy to `uploads/<task_id>.<ext>` and probe an upload; raise UploadRejected.

    The caller owns the stored file from here on and must delete it if it cannot save the row.
    """
    extension = check_upload(upload)
    directory = Path(settings.STORAGE_ROOT) / "uploads"
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"{task_id}{extension}"
    partial = directory / f"{task_id}{extension}.part"
    try:
        size, digest = _copy_and_hash(upload, partial)
        probed = probe_audio(partial)
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    return StoredUpload(
        path=str(final.relative_to(settings.STORAGE_ROOT)),
        original_filename=display_filename(upload.name or "", fallback=f"upload{extension}"),
        size=size,
        sha256=digest,
        content_type=(upload.content_type or "").split(";")[0].strip().lower()[:100],
        duration=probed["duration"],
    )


def _copy_and_hash(upload: UploadedFile, destination: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    with open(destination, "wb") as out:
        for chunk in upload.chunks(COPY_CHUNK_BYTES):
            size += len(chunk)
            if size > settings.MAX_UPLOAD_BYTES:
                raise too_large()
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise UploadRejected("empty_file", "The file is empty.", 400)
    return size, digest.hexdigest()


def probe_audio(path: Path) -> dict[str, Any]:
    """Run `tasks_app.probe` on `path` in a memory- and time-limited child process."""
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "tasks_app.probe", str(path), str(settings.MAX_AUDIO_SECONDS)],
            capture_output=True,
            timeout=PROBE_TIMEOUT_SECONDS,
            cwd=Path(__file__).resolve().parent.parent,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise UploadRejected(
            "probe_timeout", "The file took too long to inspect; it may be damaged.", 422
        ) from error
    try:
        result = json.loads(completed.stdout)
    except ValueError:
        # The child died (memory limit, crash inside a demuxer): the bytes are the problem.
        result = {"ok": False, "code": "corrupt_audio", "message": "The file could not be read."}
    if not result.get("ok"):
        code = result.get("code", "corrupt_audio")
        status = 415 if code in ("not_audio", "no_audio_stream") else 422
        raise UploadRejected(code, result.get("message", "The file could not be read."), status)
    return result
