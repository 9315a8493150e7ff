"""Upload safety: the streaming size limit, accepted formats, content probing and storage.

Pages and the API both call `limit_upload_size(request)` before anything reads the body, then
hand the uploaded file to `tasks_app.services.create_task`, which calls `store_upload`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from tasks_app import blobs, probe
from tasks_app.models import Kind
from writers.limits import LimitedUploadHandler

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac")
VIDEO_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov")
TEXT_EXTENSIONS = (".txt", ".md", ".docx", ".pdf")
# The one list of what an upload may be: the upload page's picker and script read it too.
ACCEPTED_EXTENSIONS = AUDIO_EXTENSIONS + VIDEO_EXTENSIONS + TEXT_EXTENSIONS
# How each extension is checked before it is stored (tasks_app.probe's modes).
PROBE_FOR_EXTENSION = {
    **dict.fromkeys(AUDIO_EXTENSIONS, "audio"),
    **dict.fromkeys(VIDEO_EXTENSIONS, "video"),
    **dict.fromkeys(TEXT_EXTENSIONS, "text"),
}
# An upload sent as "any file" keeps a short alphanumeric extension, or none.
ANY_FILE_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")
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
        "video/mp4",
        "video/x-matroska",
        "video/webm",
        "video/quicktime",
        "audio/webm",
        "audio/x-matroska",
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "application/pdf",
        "application/x-pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        # No claim at all (curl, scripts): the probe decides.
        "application/octet-stream",
        "",
    }
)
PROBE_TIMEOUT_SECONDS = 30
CORRUPT_CODES = {
    "audio": "corrupt_audio",
    "video": "corrupt_video",
    "text": "corrupt_document",
    "extract": "corrupt_document",
}
COPY_CHUNK_BYTES = 1024 * 1024
# How long a client refused for an unreachable object store is asked to wait (Retry-After).
STORE_RETRY_AFTER_SECONDS = 30


class UploadRejected(Exception):  # noqa: N818 (the contract's name)
    """A file Writers will not store: `code` is stable, `message` is for the user."""

    def __init__(
        self, code: str, message: str, http_status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        # Seconds after which the same request may succeed (a Retry-After header), if it may.
        self.retry_after = retry_after


def too_large() -> UploadRejected:
    limit_mb = settings.MAX_UPLOAD_BYTES / (1024 * 1024)
    return UploadRejected(
        "file_too_large", f"The file is larger than the {limit_mb:g} MB limit.", 413
    )


class SizeLimitedUploadHandler(LimitedUploadHandler):
    """writers.limits' streaming limit, refusing with the upload's own 413 (`file_too_large`)."""

    def refusal(self) -> Exception:
        return too_large()


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
    duration: float | None
    # tasks_app.models.Kind: what the content turned out to be.
    kind: str


def display_filename(name: str, fallback: str = "upload") -> str:
    """A filename safe to show and to put in a header: no directories, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.replace('"', "'").strip(" .")
    return name[:200] or fallback


def upload_extension(upload: UploadedFile, *, any_file: bool = False) -> str:
    extension = Path(display_filename(upload.name or "")).suffix.lower()
    if any_file:
        return extension if ANY_FILE_EXTENSION.fullmatch(extension) else ""
    if extension not in ACCEPTED_EXTENSIONS:
        raise UploadRejected(
            "unsupported_extension",
            f"Files of type '{extension or 'none'}' are not accepted. Upload one of: "
            f"{', '.join(ACCEPTED_EXTENSIONS)}.",
            415,
        )
    return extension


def check_upload(upload: UploadedFile, *, any_file: bool = False) -> str:
    """The checks that need no disk: name, declared type, size. Returns the extension."""
    extension = upload_extension(upload, any_file=any_file)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if not any_file and content_type not in ACCEPTED_CONTENT_TYPES:
        raise UploadRejected(
            "unsupported_media_type",
            f"The file was sent as '{content_type}', which is not a type we accept.",
            415,
        )
    if upload.size is not None and upload.size > settings.MAX_UPLOAD_BYTES:
        raise too_large()
    if not upload.size:
        raise UploadRejected("empty_file", "The file is empty.", 400)
    return extension


def store_upload(
    upload: UploadedFile, task_id: uuid.UUID, *, any_file: bool = False
) -> StoredUpload:
    """Check, copy to `uploads/<task_id>.<ext>` and probe an upload; raise UploadRejected.

    The extension decides how the content is checked: audio, video or text document. With
    `any_file` every file is taken as it is (kind FILE): its job looks at the content later.
    The caller owns the stored file from here on and must delete it if it cannot save the row.
    """
    extension = check_upload(upload, any_file=any_file)
    name = f"uploads/{task_id}{extension}"

    def inspect(partial: Path) -> dict[str, Any]:
        return {} if any_file else probe_upload(partial, PROBE_FOR_EXTENSION[extension])

    size, digest, probed = store_file(upload, name, inspect)
    return StoredUpload(
        path=name,
        original_filename=display_filename(upload.name or "", fallback=f"upload{extension}"),
        size=size,
        sha256=digest,
        content_type=(upload.content_type or "").split(";")[0].strip().lower()[:100],
        duration=probed.get("duration"),
        kind=kind_for_probe(PROBE_FOR_EXTENSION.get(extension, ""), probed, any_file=any_file),
    )


def store_file(
    upload: UploadedFile, name: str, inspect: Callable[[Path], dict[str, Any]]
) -> tuple[int, str, dict[str, Any]]:
    """Store `upload` (checked with `check_upload` first) as `name` within MAX_UPLOAD_BYTES:
    received into a local temporary file, `inspect`ed there (a probe; raises UploadRejected),
    then handed to the store (tasks_app.blobs.receive). Returns (size, sha256, what `inspect`
    found). A rejected or half-copied file leaves nothing behind, here or in the store; a full
    disk is UploadRejected `storage_full` (507), an unreachable store `storage_unavailable`
    (503)."""
    try:
        with blobs.receive(name) as partial:
            size, digest = _copy_and_hash(upload, partial)
            found = inspect(partial)
    except blobs.StoreUnavailable as error:
        logger.warning("Upload to %s refused: %s", name, error)
        raise storage_unavailable() from error
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # The upload is fine; the server is not. Say so.
        raise UploadRejected(
            "storage_full",
            "The server has no room to store this file right now. Try again later.",
            507,
        ) from error
    return size, digest, found


def storage_unavailable() -> UploadRejected:
    return UploadRejected(
        "storage_unavailable",
        _("The file store cannot be reached right now; nothing was saved. Try again soon."),
        503,
        retry_after=STORE_RETRY_AFTER_SECONDS,
    )


def kind_for_probe(mode: str, probed: dict[str, Any], *, any_file: bool = False) -> str:
    """The task kind for what a probe in `mode` found: a "video" with no picture is a recording."""
    if any_file:
        return Kind.FILE
    if mode == "text":
        return Kind.TEXT
    if mode == "video" and probed.get("has_video"):
        return Kind.VIDEO
    return Kind.TRANSCRIPTION


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


# One semaphore per PROBE_CONCURRENCY value (tests change the setting), shared by this process.
_probe_slots: dict[int, threading.BoundedSemaphore] = {}
_probe_slots_lock = threading.Lock()


def probe_upload(path: Path, mode: str) -> dict[str, Any]:
    """`run_probe` for an upload in a web process, at most PROBE_CONCURRENCY at once, so that
    uploads of slow-to-probe files cannot occupy every thread and core of the web. An upload
    that finds no free slot within PROBE_QUEUE_SECONDS is refused with 503 and Retry-After."""
    with _probe_slots_lock:
        limit = settings.PROBE_CONCURRENCY
        slots = _probe_slots.setdefault(limit, threading.BoundedSemaphore(limit))
    if not slots.acquire(timeout=settings.PROBE_QUEUE_SECONDS):
        raise UploadRejected(
            "server_busy",
            "The server is busy checking other uploads. Try again in a few seconds.",
            503,
            retry_after=max(1, math.ceil(settings.PROBE_QUEUE_SECONDS)),
        )
    try:
        return run_probe(path, mode)
    finally:
        slots.release()


def run_probe(path: Path, mode: str = "audio") -> dict[str, Any]:
    """Run `tasks_app.probe` in `mode` (audio, video, text, extract) on `path` in a sandboxed
    child process; UploadRejected when the content is not what it should be."""
    arguments = ["-m", probe.MODULE, str(path), str(settings.MAX_AUDIO_SECONDS), mode]
    try:
        completed = run_sandboxed(arguments, PROBE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise UploadRejected(
            "probe_timeout", "The file took too long to inspect; it may be damaged.", 422
        ) from error
    try:
        result = json.loads(completed.stdout)
    except ValueError:
        # The child died (memory limit, crash inside a parser): the bytes are the problem.
        result = {"ok": False, "code": CORRUPT_CODES.get(mode, "corrupt_audio")}
    if not result.get("ok"):
        code = result.get("code", "corrupt_audio")
        status = 415 if code in ("not_audio", "no_audio_stream", "not_video", "not_text") else 422
        raise UploadRejected(code, result.get("message", "The file could not be read."), status)
    return result


def run_sandboxed(arguments: list[str], timeout: float) -> subprocess.CompletedProcess[bytes]:
    """What `python ARGUMENTS` prints and returns, for code that confines itself with
    `probe.enter_sandbox()`: run in a child of this process's warm probe server
    (`tasks_app.probe.serve`: PyAV already imported, so no Python start-up and import per
    upload), which has an environment of PATH and LANG only (no SECRET_KEY, no database or Redis
    URL), plus a TMPDIR of its own (0700), removed afterwards with whatever was left in it.
    Killed after `timeout` seconds (subprocess.TimeoutExpired)."""
    with tempfile.TemporaryDirectory(prefix="writers-probe-", ignore_cleanup_errors=True) as tmp:
        completed = _run_warm(arguments, tmp, timeout)
    _log_sandbox_notes(completed.stderr)
    return completed


# Waiting for a killed child's exit status; the kernel needs milliseconds.
KILLED_WAIT_SECONDS = 5
_server_lock = threading.Lock()
_server: socket.socket | None = None


def _start_server() -> socket.socket:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with theirs:
        # It ends when this process closes its end (or exits): nothing to stop.
        subprocess.Popen(
            [sys.executable, "-m", probe.MODULE, "--serve", str(theirs.fileno())],
            env={
                "PATH": os.environ.get("PATH", os.defpath),
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            cwd=Path(__file__).resolve().parent.parent,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
        )
    return ours


def _send_request(message: bytes, fds: list[int]) -> None:
    global _server
    for attempt in range(2):
        with _server_lock:
            if _server is None:
                _server = _start_server()
            server = _server
        try:
            socket.send_fds(server, [message], fds)
            return
        except OSError:
            # The server died (killed, out of memory): a new one, once.
            with _server_lock:
                if _server is server:
                    _server = None
                    server.close()
            if attempt:
                raise


def _run_warm(arguments: list[str], tmp: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
    deadline = time.monotonic() + timeout
    command = [sys.executable, *arguments]
    status, their_status = socket.socketpair()
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        message = json.dumps({"argv": arguments, "tmp": tmp}).encode()
        _send_request(message, [their_status.fileno(), out_write, err_write])
    finally:
        their_status.close()
        os.close(out_write)
        os.close(err_write)
    received: dict[Any, bytearray] = {
        status: bytearray(),
        out_read: bytearray(),
        err_read: bytearray(),
    }
    with status, selectors.DefaultSelector() as selector:
        for source in received:
            selector.register(source, selectors.EVENT_READ)
        try:
            killed = False
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0 and not killed:
                    pid = _status_lines(received[status])[:1]
                    if pid:
                        with contextlib.suppress(OSError):
                            os.kill(int(pid[0]), signal.SIGKILL)
                    killed = True
                    deadline = time.monotonic() + KILLED_WAIT_SECONDS
                    continue
                if left <= 0:
                    break
                for key, _events in selector.select(left):
                    chunk = (
                        status.recv(1 << 16)
                        if key.fileobj is status
                        else os.read(key.fileobj, 1 << 16)
                    )
                    if chunk:
                        received[key.fileobj] += chunk
                    else:
                        selector.unregister(key.fileobj)
        finally:
            os.close(out_read)
            os.close(err_read)
    stdout, stderr = bytes(received[out_read]), bytes(received[err_read])
    if killed:
        raise subprocess.TimeoutExpired(command, timeout, output=stdout, stderr=stderr)
    ended = [line for line in _status_lines(received[status]) if line.startswith("EXIT ")]
    # No exit status: the server died with its child.
    code = int(ended[0].split()[1]) if ended else -signal.SIGKILL
    return subprocess.CompletedProcess(command, code, stdout, stderr)


def _status_lines(data: bytearray) -> list[str]:
    """The complete lines the server wrote on a status socket (`PID`, then `EXIT CODE`)."""
    return data.decode().split("\n")[:-1]


_logged_notes: set[str] = set()


def _log_sandbox_notes(stderr: bytes) -> None:
    """What of the sandbox this machine does not allow, once per process (not per upload)."""
    for line in stderr.decode(errors="replace").splitlines():
        if line.startswith(probe.SANDBOX_NOTE) and line not in _logged_notes:
            _logged_notes.add(line)
            logger.warning("%s", line)
