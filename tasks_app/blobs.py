"""Stored bytes: uploads, results, thumbnails, normalised audio and attachments.

Every module reads and writes them through here, by *name*: a key relative to the store's root
(`uploads/<task id>.flac`, `results/<task id>/<n>.json`, ...), the value kept on the rows
(`Task.file_path`, `Task.result_path`, `Attachment.file_path`). Where the bytes are is
`STORAGE_BACKEND`'s business:

- `local`: files under STORAGE_ROOT, through Django's FileSystemStorage; writes are atomic
  (`tasks_app.storage.atomic_write`: a temporary file beside the target, then a rename).
- `s3`: an S3-compatible object store through django-storages' S3Storage (boto3), under
  `S3_PREFIX` in `S3_BUCKET`; an object appears whole or not at all, large ones in multipart
  uploads, and nothing is ever held whole in memory.

A process that needs a real file (the probe, ffmpeg, the engine) asks for `local_copy(name)`:
the file itself on `local`, a download into this process's scratch directory on `s3`, removed
when the block ends. Scratch directories are named after their process
(`STORAGE_ROOT/scratch/.<pid>@<host>.<token>.tmp`), so the ones a killed process leaves behind are
recognised and removed (transcription.leftovers).

A store that cannot be reached raises `StoreUnavailable` (an OSError), within
S3_CONNECT_TIMEOUT_SECONDS and a few retries, never a bare botocore error.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage

from tasks_app import storage as files

COPY_CHUNK_BYTES = 1 << 20


class StoreUnavailable(OSError):
    """The object store did not answer, or answered with a server error."""


def backend() -> str:
    return settings.STORAGE_BACKEND


def is_local() -> bool:
    return settings.STORAGE_BACKEND == "local"


def store() -> Storage:
    """The Django storage holding the bytes, built from the settings of the moment (tests
    switch STORAGE_ROOT and the backend per test) and reused while they hold."""
    return local_store() if is_local() else s3_store()


def local_store() -> FileSystemStorage:
    """The files under STORAGE_ROOT, whatever STORAGE_BACKEND says (the `move_storage` command
    copies between the two stores)."""
    return _local_store(str(settings.STORAGE_ROOT))


def s3_store() -> Storage:
    """The bucket of the S3_* settings, whatever STORAGE_BACKEND says."""
    return _s3_store(
        settings.S3_BUCKET,
        settings.S3_PREFIX,
        settings.S3_ENDPOINT_URL,
        settings.S3_ACCESS_KEY_ID,
        settings.S3_SECRET_ACCESS_KEY,
        settings.S3_REGION,
        settings.S3_CONNECT_TIMEOUT_SECONDS,
    )


@functools.lru_cache(maxsize=8)
def _local_store(root: str) -> FileSystemStorage:
    return FileSystemStorage(location=root)


@functools.lru_cache(maxsize=8)
def _s3_store(
    bucket: str,
    prefix: str,
    endpoint: str | None,
    key: str | None,
    secret: str | None,
    region: str | None,
    connect_timeout: float,
) -> Storage:
    from botocore.config import Config
    from storages.backends.s3 import S3Storage

    return S3Storage(
        bucket_name=bucket,
        location=prefix,
        endpoint_url=endpoint,
        access_key=key,
        secret_key=secret,
        region_name=region,
        addressing_style="path",
        default_acl=None,
        querystring_auth=True,
        # Names are chosen by us and unique; a name that exists is overwritten, never renamed.
        file_overwrite=True,
        client_config=Config(
            connect_timeout=connect_timeout,
            read_timeout=60,
            retries={"mode": "standard", "max_attempts": 3},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        ),
    )


def client() -> Any:
    """The boto3 S3 client of the store (s3 only): for Range reads and presigned URLs."""
    return store().connection.meta.client


def key(name: str) -> str:
    """The object key of `name` in the bucket (s3 only)."""
    return f"{settings.S3_PREFIX}/{name}" if settings.S3_PREFIX else name


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """botocore's errors as ours on the s3 backend (`s3_errors`); nothing to translate on local."""
    if is_local():
        yield
        return
    with s3_errors():
        yield


@contextlib.contextmanager
def s3_errors() -> Iterator[None]:
    """botocore's errors as ours: absent is FileNotFoundError, unreachable StoreUnavailable."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except S3UploadFailedError as error:
        # upload_file's wrapping of a ClientError (a store draining on SIGTERM answers 500).
        raise StoreUnavailable(f"The object store refused an upload: {error}") from error
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NotFound"):
            raise FileNotFoundError(code) from error
        raise StoreUnavailable(f"The object store refused the request: {code}") from error
    except BotoCoreError as error:
        raise StoreUnavailable(f"The object store cannot be reached: {error}") from error


def path(name: str) -> Path | None:
    """The file behind `name` on the local backend (for the web server to send itself, or to
    read in place); None on s3."""
    return Path(settings.STORAGE_ROOT) / name if is_local() else None


@dataclass(frozen=True)
class Stat:
    """What a download needs to know of a stored file: its size and its HTTP validators."""

    size: int
    etag: str
    modified: datetime


def stat(name: str) -> Stat:
    """The size, ETag and last change of `name`; FileNotFoundError when there is none."""
    if is_local():
        found = (Path(settings.STORAGE_ROOT) / name).stat()
        return Stat(
            size=found.st_size,
            etag=f'"{found.st_mtime_ns:x}-{found.st_size:x}"',
            modified=datetime.fromtimestamp(found.st_mtime, tz=UTC),
        )
    with _translated():
        head = client().head_object(Bucket=settings.S3_BUCKET, Key=key(name))
    return Stat(size=head["ContentLength"], etag=head["ETag"], modified=head["LastModified"])


def exists(name: str) -> bool:
    if not name:
        return False
    if is_local():
        return (Path(settings.STORAGE_ROOT) / name).is_file()
    with _translated():
        return store().exists(name)


def size(name: str) -> int | None:
    """The stored size in bytes, or None when there is no such file."""
    try:
        with _translated():
            return store().size(name)
    except FileNotFoundError:
        return None


def open_read(name: str) -> IO[bytes]:
    """A binary stream of the stored bytes, read as it goes; FileNotFoundError when absent."""
    if is_local():
        return open(Path(settings.STORAGE_ROOT) / name, "rb")  # noqa: SIM115 (the caller closes)
    with _translated():
        return client().get_object(Bucket=settings.S3_BUCKET, Key=key(name))["Body"]


def read_bytes(name: str) -> bytes | None:
    """The whole stored file, or None when there is none (results and other small files)."""
    try:
        with _translated(), contextlib.closing(open_read(name)) as stream:
            return stream.read()
    except FileNotFoundError:
        return None


def read_json(name: str) -> Any | None:
    """A stored JSON document, or None when it is absent or not JSON."""
    data = read_bytes(name) if name else None
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def write_bytes(name: str, data: bytes) -> None:
    """Store `data` whole as `name`: readers see the old bytes or the new, never half."""
    if is_local():
        with files.atomic_write(Path(settings.STORAGE_ROOT) / name) as partial:
            partial.write_bytes(data)
        return
    with _translated():
        client().put_object(Bucket=settings.S3_BUCKET, Key=key(name), Body=data)


def write_json(name: str, value: Any) -> None:
    write_bytes(name, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def put_file(name: str, source: Path, *, move: bool = False) -> None:
    """Store the finished local file `source` as `name`, streamed (multipart on s3); with
    `move`, the source is gone afterwards (renamed into place on the local backend when it is
    on the same file system)."""
    if is_local():
        target = Path(settings.STORAGE_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if move:
            with contextlib.suppress(OSError):
                os.replace(source, target)
                return
        with files.atomic_write(target) as partial:
            shutil.copyfile(source, partial)
        if move:
            source.unlink(missing_ok=True)
        return
    with _translated():
        client().upload_file(str(source), settings.S3_BUCKET, key(name))
    if move:
        source.unlink(missing_ok=True)


@contextlib.contextmanager
def receive(name: str) -> Iterator[Path]:
    """A local file for the block to write `name` into (an upload being received and probed),
    stored as `name` when the block ends and removed, whatever happens, when it raises. On the
    local backend it is an `atomic_write` temporary beside its target, renamed into place; on
    s3 a file in this process's scratch dir, then streamed to the store (multipart) and
    removed."""
    if is_local():
        with files.atomic_write(Path(settings.STORAGE_ROOT) / name) as partial:
            yield partial
        return
    partial = scratch_dir() / f"{os.urandom(6).hex()}{Path(name).suffix}"
    try:
        yield partial
        put_file(name, partial, move=True)
    finally:
        partial.unlink(missing_ok=True)


def delete(name: str) -> bool:
    """Remove `name`; False when there was nothing to remove."""
    if not name:
        return False
    if is_local():
        target = Path(settings.STORAGE_ROOT) / name
        try:
            target.unlink()
        except (FileNotFoundError, IsADirectoryError):
            return False
        return True
    with _translated():
        if not store().exists(name):
            return False
        store().delete(name)
    return True


def listing(prefix: str) -> Iterator[tuple[str, datetime]]:
    """Every stored name under the folder `prefix` (recursively) with its last change."""
    if is_local():
        root = Path(settings.STORAGE_ROOT)
        for found in (root / prefix).rglob("*"):
            if found.is_file():
                yield (
                    str(found.relative_to(root)),
                    datetime.fromtimestamp(found.stat().st_mtime, tz=UTC),
                )
        return
    base = key(prefix.rstrip("/") + "/")
    strip = len(key(""))
    with _translated():
        pages = client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=settings.S3_BUCKET, Prefix=base):
            for item in page.get("Contents", ()):
                yield item["Key"][strip:], item["LastModified"]


def prune(folder: str) -> None:
    """Remove the empty directories left under `folder` (and it, if empty) on the local
    backend; an object store has no directories to tidy."""
    if not is_local():
        return
    top = Path(settings.STORAGE_ROOT) / folder
    if not top.is_dir():
        return
    for directory in sorted((d for d in top.rglob("*") if d.is_dir()), reverse=True):
        with contextlib.suppress(OSError):  # not empty: something is stored there
            directory.rmdir()
    with contextlib.suppress(OSError):
        top.rmdir()


def check() -> str:
    """Prove the store takes a write now (for /health/ready): a tiny file written and removed,
    within S3_CONNECT_TIMEOUT_SECONDS and without retries on s3. Returns where the store is."""
    if is_local():
        with tempfile.NamedTemporaryFile(dir=settings.STORAGE_ROOT, prefix=".ready-") as probe:
            probe.write(b"ok")
            probe.flush()
        return str(settings.STORAGE_ROOT)
    quick = _quick_client(
        settings.S3_ENDPOINT_URL,
        settings.S3_ACCESS_KEY_ID,
        settings.S3_SECRET_ACCESS_KEY,
        settings.S3_REGION,
        settings.S3_CONNECT_TIMEOUT_SECONDS,
    )
    probe_key = key(f"health/{files.this_host()}.{os.getpid()}")
    with _translated():
        quick.put_object(Bucket=settings.S3_BUCKET, Key=probe_key, Body=b"ok")
        quick.delete_object(Bucket=settings.S3_BUCKET, Key=probe_key)
    return f"s3://{settings.S3_BUCKET}/{settings.S3_PREFIX} at {settings.S3_ENDPOINT_URL or 'AWS'}"


@functools.lru_cache(maxsize=4)
def _quick_client(
    endpoint: str | None, key_id: str | None, secret: str | None, region: str | None, timeout: float
) -> Any:
    # A health check must answer within the load balancer's patience: one try, short timeouts.
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name=region,
        config=Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 1},
            s3={"addressing_style": "path"},
            signature_version="s3v4",
        ),
    )


def scratch_root() -> Path:
    return Path(settings.STORAGE_ROOT) / "scratch"


@functools.lru_cache(maxsize=4)
def _scratch_dir(root: str, pid: int) -> Path:
    directory = files.temporary_path(Path(root) / "scratch" / "copies")
    directory.mkdir(parents=True, mode=0o700)
    return directory


def scratch_dir() -> Path:
    """This process's private directory for local copies, made on first use. Its name says
    which process owns it, so the sweeper removes it once that process is gone."""
    directory = _scratch_dir(str(settings.STORAGE_ROOT), os.getpid())
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    return directory


@contextlib.contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A real file with the stored bytes of `name` for the block (FileNotFoundError when there
    is none): the stored file itself on the local backend, a private download on s3 that is
    removed when the block ends, however it ends."""
    if is_local():
        found = Path(settings.STORAGE_ROOT) / name
        if not found.is_file():
            raise FileNotFoundError(name)
        yield found
        return
    copy = scratch_dir() / f"{os.urandom(6).hex()}{Path(name).suffix}"
    try:
        with _translated():
            client().download_file(settings.S3_BUCKET, key(name), str(copy))
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def open_range(name: str, start: int, end: int) -> IO[bytes]:
    """A stream of bytes `start`..`end` (inclusive) of `name`; FileNotFoundError when absent."""
    if is_local():
        stream = open(Path(settings.STORAGE_ROOT) / name, "rb")  # noqa: SIM115
        stream.seek(start)
        return stream
    with _translated():
        answer = client().get_object(
            Bucket=settings.S3_BUCKET, Key=key(name), Range=f"bytes={start}-{end}"
        )
    return answer["Body"]


def presigned_url(name: str, *, filename: str, content_type: str, inline: bool = False) -> str:
    """A URL of the store that serves `name` for S3_PRESIGNED_SECONDS to whoever holds it, with
    our download headers (s3 only)."""
    from django.utils.http import content_disposition_header

    with _translated():
        return client().generate_presigned_url(
            "get_object",
            Params={
                "Bucket": settings.S3_BUCKET,
                "Key": key(name),
                "ResponseContentType": content_type or "application/octet-stream",
                "ResponseContentDisposition": content_disposition_header(not inline, filename),
            },
            ExpiresIn=settings.S3_PRESIGNED_SECONDS,
        )
