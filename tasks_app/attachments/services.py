"""Attachments: files kept with a task besides its recording (slides, notes, a contract).

They are stored and checked the way uploads are (tasks_app.uploads: the same size limit,
copy, hash and probe), under `attachments/<task id>/<attachment id><ext>`, never under the
user's filename. A text document among them can become a text task of its own.
"""

from __future__ import annotations

import contextlib
import uuid
from functools import partial
from pathlib import Path
from typing import Any

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from tasks_app import blobs
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task
from tasks_app.services import create_task
from tasks_app.uploads import (
    ACCEPTED_CONTENT_TYPES,
    PROBE_FOR_EXTENSION,
    TEXT_EXTENSIONS,
    UploadRejected,
    check_upload,
    display_filename,
    probe_upload,
    store_file,
)

# Programs and web pages are never kept: a member who downloads one must not be running
# something another member sent. Refused by name here and by content in `_inspect`.
REFUSED_EXTENSIONS = frozenset(
    {
        ".exe", ".dll", ".com", ".bat", ".cmd", ".msi", ".msp", ".scr", ".pif", ".cpl",
        ".ps1", ".psm1", ".vbs", ".vbe", ".js", ".jse", ".wsf", ".wsh", ".hta", ".jar",
        ".sh", ".bash", ".zsh", ".csh", ".command", ".app", ".apk", ".elf", ".run",
        ".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml",
    }
)  # fmt: skip
PROGRAM_MAGIC = (
    b"MZ",  # Windows
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",  # Mach-O, both byte orders, 32 and 64 bits
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"#!",  # a script
)
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<iframe")
# What a probe may say of a file that is still a good attachment: a scanned PDF has no text,
# a protected one cannot be read, a recording may be longer than a task may transcribe.
TOLERATED = frozenset({"no_text", "encrypted_document", "audio_too_long"})
SNIFF_BYTES = 8192
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class NotADocument(Exception):  # noqa: N818 (reads as what it is)
    """Only a text, Markdown, PDF or Word attachment can be sent to text analysis (409)."""

    code = "not_a_document"
    http_status = 409

    def __init__(self) -> None:
        self.message = _("Only a text, Markdown, PDF or Word attachment can be analysed.")
        super().__init__(self.message)


class AttachmentGone(Exception):  # noqa: N818
    """The attachment's file is missing on disk (410)."""

    code = "file_gone"
    http_status = 410

    def __init__(self) -> None:
        self.message = _("The file of this attachment is missing.")
        super().__init__(self.message)


def attachments_of(task: Task) -> Any:
    """A task's attachments, oldest first (the newest at the end of the list)."""
    return Attachment.objects.filter(task=task).select_related("uploaded_by")


def get_attachment(task: Task, attachment_id: Any) -> Attachment:
    """One of `task`'s attachments; Http404 for a malformed id or another task's attachment."""
    try:
        pk = uuid.UUID(str(attachment_id))
    except ValueError as error:
        raise Http404("No such attachment.") from error
    attachment = attachments_of(task).filter(pk=pk).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def add_attachment(task: Task, user: Any, upload: UploadedFile) -> Attachment:
    """Check and store `upload` as an attachment of `task` (the caller checked that `user` may
    change it); UploadRejected with the upload's codes for a bad file."""
    extension = check_upload(upload, any_file=True)
    if extension in REFUSED_EXTENSIONS:
        raise refused()
    attachment = Attachment(task=task, uploaded_by=user)
    name = f"attachments/{task.pk}/{attachment.pk}{extension}"
    size, digest, found = store_file(upload, name, partial(_inspect, extension=extension))
    attachment.file_path = name
    attachment.original_filename = display_filename(
        upload.name or "", fallback=f"attachment{extension}"
    )
    attachment.file_size = size
    attachment.sha256 = digest
    attachment.content_type = found["content_type"]
    try:
        with transaction.atomic(durable=True):
            attachment.save(force_insert=True)
    except BaseException:
        # The task may have been purged meanwhile: no row, no file (a store down now leaves
        # the object to purge_deleted's orphan sweep).
        with contextlib.suppress(blobs.StoreUnavailable):
            blobs.delete(name)
        raise
    return attachment


def refused() -> UploadRejected:
    return UploadRejected(
        "unsupported_media_type", _("Programs and web pages cannot be attached."), 415
    )


def _inspect(partial_path: Path, *, extension: str) -> dict[str, Any]:
    """What the stored copy is, by content: programs and web pages are refused, and a file
    named as a recording, video or document must be one, whole (the upload's probe)."""
    with partial_path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
    if head.startswith(PROGRAM_MAGIC) or _looks_like_html(head):
        raise refused()
    mode = PROBE_FOR_EXTENSION.get(extension)
    if mode:
        try:
            probe_upload(partial_path, mode)
        except UploadRejected as rejected:
            if rejected.code not in TOLERATED:
                raise
    return {"content_type": content_type_of(head)}


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(HTML_STARTS)


def content_type_of(head: bytes) -> str:
    """The type of a file by its first bytes, never by what the client claimed."""
    guessed = filetype.guess(head)
    if guessed is not None:
        return guessed.mime
    if b"\x00" in head:
        return "application/octet-stream"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 4:
            return "application/octet-stream"
    return "text/plain"


def attachment_name(attachment: Attachment) -> str | None:
    """The attachment's stored name, or None when its file is missing."""
    return attachment.file_path if blobs.exists(attachment.file_path) else None


def delete_attachment(attachment: Attachment) -> None:
    """Remove an attachment for good; its file goes once the row's deletion has committed."""
    Attachment.objects.filter(pk=attachment.pk).delete()
    transaction.on_commit(partial(_forget, attachment.file_path))


def _forget(name: str) -> None:
    # The row is gone already: a store that is down now leaves the file to purge_deleted's
    # orphan sweep rather than failing a deletion that happened.
    with contextlib.suppress(blobs.StoreUnavailable):
        blobs.delete(name)


def is_document(attachment: Attachment) -> bool:
    """Whether text analysis can read the attachment: text, Markdown, PDF or Word."""
    return Path(attachment.file_path).suffix in TEXT_EXTENSIONS


def analyze_attachment(user: Any, attachment: Attachment) -> Task:
    """A new text task in the attachment's workspace, made from a copy of its file, which the
    text pipeline analyses like any uploaded document. NotADocument for anything else,
    AttachmentGone when the file is missing, UploadRejected when the document has no text."""
    if not is_document(attachment):
        raise NotADocument
    stored = attachment_name(attachment)
    if stored is None:
        raise AttachmentGone
    task = attachment.task
    extension = Path(attachment.file_path).suffix
    name = f"{Path(attachment.original_filename).stem or 'attachment'}{extension}"
    claimed = attachment.content_type if attachment.content_type in ACCEPTED_CONTENT_TYPES else ""
    description = _("From the attachment “%(name)s” of the task “%(title)s” (%(url)s).") % {
        "name": attachment.original_filename,
        "title": task.title,
        "url": reverse("task_detail", args=[task.pk]),
    }
    # A real file to copy from: the new task's upload is received, probed and stored anew.
    with blobs.local_copy(stored) as copy, copy.open("rb") as file:
        upload = UploadedFile(file, name=name, content_type=claimed, size=attachment.file_size)
        return create_task(
            user,
            title=attachment.original_filename,
            description=description,
            upload=upload,
            workspace=task.workspace,
        )
