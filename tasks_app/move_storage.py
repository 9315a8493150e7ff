"""Moving an install's stored files between STORAGE_ROOT and the S3 bucket, for operators who
switch STORAGE_BACKEND (`manage.py move_storage --to s3|local`).

What moves is what `tasks_app.blobs` stores, the folders in FOLDERS: uploads, results (partial
and final, thumbnails, normalised audio) and attachments. Models, scratch copies, the embedded
Redis, the secrets, SQLite and mail are each machine's own and stay on its disk; the temporary
files of writes under way (`.<name>.<pid>@<host>.<token>.tmp`) are never copied.

It may be run again and again, and killed at any moment:
- a file whose copy is already at the destination, with the same sha256, is not copied again;
- a copy appears whole under its name or not at all (`storage.atomic_write`, hashed before its
  rename; an S3 object appears when its upload completes) and is read back and hashed: a copy
  that differs from what was read is removed and reported;
- an upload or attachment whose bytes no longer hash to the sha256 recorded when it was received
  is reported (and copied as it is: it is the only copy there is);
- a different file already under the same name at the destination is reported and left alone,
  unless `overwrite`: a wrong bucket or prefix loses nothing;
- the source of a file is deleted only with `delete_source`, and only once its copy verified.

Objects this writes carry their sha256 in their metadata (`x-amz-meta-sha256`), so a later run
compares them without downloading them again; `verify_existing` downloads and hashes them anyway.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings

from tasks_app import blobs
from tasks_app import storage as files
from tasks_app.attachments.models import Attachment
from tasks_app.models import Task

FOLDERS = ("uploads", "results", "attachments")
DIRECTIONS = ("s3", "local")
# A progress line every this many files (and a line for each file at verbosity 2).
PROGRESS_EVERY = 100


class CopyDiffers(Exception):
    """The copy just written does not hash like the bytes read from the source."""


class NoBucket(Exception):
    """S3_BUCKET does not exist on the store."""


@dataclass
class Report:
    checked: int = 0
    copied: int = 0
    copied_bytes: int = 0
    present: int = 0
    present_bytes: int = 0
    deleted: int = 0
    vanished: int = 0
    stopped: bool = False
    problems: list[str] = field(default_factory=list)

    def line(self, *, dry_run: bool) -> str:
        copied = "would copy" if dry_run else "copied"
        text = (
            f"{self.checked} files checked: {copied} {self.copied} "
            f"({megabytes(self.copied_bytes)}), {self.present} already there "
            f"({megabytes(self.present_bytes)})"
        )
        if self.deleted:
            text += f", {self.deleted} deleted from the source"
        if self.vanished:
            text += f", {self.vanished} gone from the source meanwhile"
        if self.problems:
            text += f", {len(self.problems)} problems"
        return text


def megabytes(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB"


def hash_stream(stream: IO[bytes], copy_to: IO[bytes] | None = None) -> str:
    """The sha256 of what `stream` gives, read a chunk at a time (and written to `copy_to`)."""
    digest = hashlib.sha256()
    while chunk := stream.read(blobs.COPY_CHUNK_BYTES):
        digest.update(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return digest.hexdigest()


def temporary(name: str) -> bool:
    """An `atomic_write` temporary file (a write under way, or left by a killed one)."""
    base = name.rsplit("/", 1)[-1]
    return base.startswith(".") and base.endswith(".tmp")


class Local:
    """The stored files under STORAGE_ROOT."""

    def __init__(self) -> None:
        self.storage = blobs.local_store()
        self.root = Path(self.storage.location)

    def __str__(self) -> str:
        return str(self.root)

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def names(self) -> Iterator[tuple[str, int]]:
        for folder in FOLDERS:
            for found in sorted((self.root / folder).rglob("*")):
                name = found.relative_to(self.root).as_posix()
                if temporary(name) or not found.is_file():
                    continue
                with contextlib.suppress(FileNotFoundError):
                    yield name, found.stat().st_size

    def file(self, name: str) -> Path:
        return Path(self.storage.path(name))

    def size(self, name: str) -> int | None:
        try:
            return self.file(name).stat().st_size
        except FileNotFoundError:
            return None

    def digest(self, name: str, *, fresh: bool = False) -> str:
        with self.file(name).open("rb") as stream:
            return hash_stream(stream)

    def receive(self, name: str, stream: IO[bytes]) -> str:
        """Write `stream` as `name`, renamed into place only once the file on disk hashes like
        the bytes read; returns their sha256."""
        with files.atomic_write(self.file(name)) as partial:
            with partial.open("wb") as out:
                read = hash_stream(stream, out)
            with partial.open("rb") as written:
                if hash_stream(written) != read:
                    raise CopyDiffers(name)
        return read

    def delete(self, name: str) -> None:
        target = self.file(name)
        target.unlink(missing_ok=True)
        # results/<id>/ and attachments/<id>/ go with their last file; the top folders stay.
        top = self.root / name.split("/", 1)[0]
        for directory in target.parents:
            if directory == top or not directory.is_relative_to(top):
                break
            try:
                directory.rmdir()
            except OSError:
                break


class Bucket:
    """The stored objects in S3_BUCKET under S3_PREFIX."""

    def __init__(self) -> None:
        self.client = blobs.s3_store().connection.meta.client
        self.bucket = settings.S3_BUCKET

    def __str__(self) -> str:
        prefix = f"/{settings.S3_PREFIX}" if settings.S3_PREFIX else ""
        return f"s3://{self.bucket}{prefix} at {settings.S3_ENDPOINT_URL or 'AWS'}"

    def check(self) -> None:
        try:
            with blobs.s3_errors():
                self.client.head_bucket(Bucket=self.bucket)
        except FileNotFoundError as error:
            raise NoBucket(self.bucket) from error

    def names(self) -> Iterator[tuple[str, int]]:
        strip = len(blobs.key(""))
        pages = self.client.get_paginator("list_objects_v2")
        for folder in FOLDERS:
            with blobs.s3_errors():
                for page in pages.paginate(Bucket=self.bucket, Prefix=blobs.key(f"{folder}/")):
                    for item in page.get("Contents", ()):
                        name = item["Key"][strip:]
                        if not temporary(name):
                            yield name, item["Size"]

    def _head(self, name: str) -> dict[str, Any] | None:
        try:
            with blobs.s3_errors():
                return self.client.head_object(Bucket=self.bucket, Key=blobs.key(name))
        except FileNotFoundError:
            return None

    def size(self, name: str) -> int | None:
        head = self._head(name)
        return None if head is None else head["ContentLength"]

    def digest(self, name: str, *, fresh: bool = False) -> str:
        """The object's sha256: the one recorded when this command wrote it, unless `fresh`
        (or there is none), then hashed from a download."""
        head = self._head(name)
        if head is None:
            raise FileNotFoundError(name)
        recorded = head.get("Metadata", {}).get("sha256")
        if recorded and not fresh:
            return recorded
        with contextlib.closing(self.open(name)) as stream, blobs.s3_errors():
            return hash_stream(stream)

    def open(self, name: str) -> IO[bytes]:
        with blobs.s3_errors():
            return self.client.get_object(Bucket=self.bucket, Key=blobs.key(name))["Body"]

    def receive_file(self, name: str, source: Path, digest: str) -> None:
        """Upload `source` (multipart when large: the object appears whole when it completes),
        recording `digest`, its sha256; then read it back and remove it if it differs."""
        from boto3.exceptions import S3UploadFailedError

        try:
            with blobs.s3_errors():
                self.client.upload_file(
                    str(source),
                    self.bucket,
                    blobs.key(name),
                    ExtraArgs={"Metadata": {"sha256": digest}},
                )
        except S3UploadFailedError as error:
            raise blobs.StoreUnavailable(f"The object store refused an upload: {error}") from error
        if self.digest(name, fresh=True) != digest:
            self.delete(name)
            raise CopyDiffers(name)

    def delete(self, name: str) -> None:
        with blobs.s3_errors():
            self.client.delete_object(Bucket=self.bucket, Key=blobs.key(name))


def recorded_digests() -> dict[str, str]:
    """The sha256 of each upload and attachment, as recorded when it was received."""
    found: dict[str, str] = {}
    for model in (Task, Attachment):
        rows = model.objects.exclude(sha256="").exclude(file_path="")
        found.update(rows.values_list("file_path", "sha256").iterator())
    return found


def move(
    to: str,
    *,
    dry_run: bool = False,
    delete_source: bool = False,
    overwrite: bool = False,
    verify_existing: bool = False,
    limit: int | None = None,
    say: Callable[[str], None] = print,
    verbose: bool = False,
) -> Report:
    """Copy every stored file to the `to` store ("s3" or "local") from the other one; see the
    module's docstring. Raises blobs.StoreUnavailable when the store cannot be reached, NoBucket
    when it has no S3_BUCKET."""
    source: Local | Bucket
    target: Local | Bucket
    source, target = (Local(), Bucket()) if to == "s3" else (Bucket(), Local())
    source.check()
    target.check()
    say(f"{'Would copy' if dry_run else 'Copying'} stored files from {source} to {target}.")
    mover = _Mover(
        source,
        target,
        recorded_digests(),
        say,
        dry_run=dry_run,
        delete_source=delete_source,
        overwrite=overwrite,
        verify_existing=verify_existing,
    )
    report = mover.report
    for name, size in source.names():
        if limit is not None and report.copied >= limit:
            report.stopped = True
            break
        report.checked += 1
        done = mover.move(name, size)
        if verbose:
            say(f"{name} ({megabytes(size)}): {done}")
        if report.checked % PROGRESS_EVERY == 0:
            say(report.line(dry_run=dry_run))
    return report


@dataclass
class _Mover:
    source: Local | Bucket
    target: Local | Bucket
    expected: dict[str, str]
    say: Callable[[str], None]
    dry_run: bool
    delete_source: bool
    overwrite: bool
    verify_existing: bool
    report: Report = field(default_factory=Report)

    def problem(self, text: str) -> str:
        self.report.problems.append(text)
        self.say(f"PROBLEM {text}")
        return "problem"

    def move(self, name: str, size: int) -> str:
        """Copy `name` unless an equal copy is there already, check it, and delete the source
        when asked; returns what was done, in a word or two."""
        try:
            there = self.target.size(name)
            digest = self._present(name) if there == size else None
            if digest is not None:
                self.report.present += 1
                self.report.present_bytes += size
                done = "already there"
            elif there is not None and not self.overwrite:
                return self.problem(
                    f"{name}: a different file is already at the destination; "
                    "left alone (--overwrite replaces it with the source's)"
                )
            elif self.dry_run:
                self.report.copied += 1
                self.report.copied_bytes += size
                return "would copy"
            else:
                digest = self._copy(name)
                self.report.copied += 1
                self.report.copied_bytes += size
                done = "copied"
        except FileNotFoundError:
            # Deleted at the source since the listing (a task purged meanwhile).
            self.report.vanished += 1
            return "gone from the source"
        except CopyDiffers:
            return self.problem(f"{name}: its copy did not hash like the source; copy removed")
        recorded = self.expected.get(name)
        if recorded is not None and recorded != digest:
            return self.problem(
                f"{name}: its bytes no longer match the sha256 recorded when it was received "
                f"({recorded[:12]}…, now {digest[:12]}…); copied as it is, source kept"
            )
        if self.delete_source and not self.dry_run:
            self.source.delete(name)
            self.report.deleted += 1
            done += ", source deleted"
        return done

    def _present(self, name: str) -> str | None:
        """The sha256 of `name` when the destination's file of the same size has the same bytes."""
        digest = self.source.digest(name)
        same = self.target.digest(name, fresh=self.verify_existing) == digest
        return digest if same else None

    def _copy(self, name: str) -> str:
        if isinstance(self.target, Bucket):
            assert isinstance(self.source, Local)
            digest = self.source.digest(name)
            self.target.receive_file(name, self.source.file(name), digest)
            return digest
        assert isinstance(self.source, Bucket)
        with contextlib.closing(self.source.open(name)) as stream, blobs.s3_errors():
            return self.target.receive(name, stream)
