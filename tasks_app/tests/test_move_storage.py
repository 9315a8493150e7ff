"""manage.py move_storage: an install's stored files into the bucket and back, on the real
object store (SeaweedFS), whatever STORAGE_BACKEND says at the time."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from tasks_app import blobs
from tasks_app.models import Task, normalized_audio_relpath, thumbnail_relpath

# About 70 s on two cores (real multipart copies both ways): run by `make test-slow`.
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Past boto3's 8 MiB multipart threshold: this one goes up in parts.
BIG = bytes(range(256)) * 36_000

STORED = {
    "uploads/7.flac": b"fLaC the recording",
    "uploads/8.mp4": BIG,
    "results/7.json": b'{"text": "Thank you."}',
    "results/8/000002.json": b'{"text": "partial", "partial": true}',
    thumbnail_relpath(8): b"\xff\xd8 a still",
    normalized_audio_relpath(8): b"fLaC the sound track",
    "attachments/7/3.pdf": b"%PDF-1.7 notes",
}
# Each machine's own, never moved: a write under way, scratch copies, models, the embedded
# Redis, secrets, SQLite, mail.
LOCAL_ONLY = {
    "uploads/.9.flac.4242@elsewhere.00ff.tmp": b"half an upl",
    "scratch/.copies.4242@elsewhere.00ff.tmp/x.flac": b"a copy",
    "models/base/model.bin": b"weights",
    "redis/dump.rdb": b"REDIS",
    "secret_key": b"s3cr3t",
    "writers.sqlite3": b"SQLite format 3",
    "mail/1.eml": b"Subject: hi",
}


def put_local(files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = Path(settings.STORAGE_ROOT) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def local_files() -> dict[str, bytes]:
    root = Path(settings.STORAGE_ROOT)
    return {
        found.relative_to(root).as_posix(): found.read_bytes()
        for found in root.rglob("*")
        if found.is_file()
    }


def client() -> Any:
    return blobs.s3_store().connection.meta.client


def bucket_files() -> dict[str, bytes]:
    """Every object under this test's prefix, read straight from the store."""
    found = {}
    strip = len(settings.S3_PREFIX) + 1
    pages = client().get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=settings.S3_BUCKET, Prefix=f"{settings.S3_PREFIX}/"):
        for item in page.get("Contents", ()):
            body = client().get_object(Bucket=settings.S3_BUCKET, Key=item["Key"])["Body"]
            found[item["Key"][strip:]] = body.read()
    return found


def move(*args: str, verbosity: int = 1) -> str:
    out = io.StringIO()
    call_command("move_storage", *args, stdout=out, verbosity=verbosity)
    return out.getvalue()


@pytest.fixture(params=["local", "s3"])
def configured(request: Any, s3: str, settings: Any) -> str:
    """The S3_* settings of a fresh prefix, with STORAGE_BACKEND either way: the command must
    not care which one the install runs on."""
    settings.STORAGE_BACKEND = request.param
    return request.param


def test_it_moves_every_stored_file_into_the_bucket_and_back(configured: str) -> None:
    put_local(STORED | LOCAL_ONLY)

    output = move("--to", "s3", "--delete-source")

    assert bucket_files() == STORED
    assert local_files() == LOCAL_ONLY
    # results/8/ and attachments/7/ went with their last file.
    assert not (Path(settings.STORAGE_ROOT) / "results" / "8").exists()
    assert not (Path(settings.STORAGE_ROOT) / "attachments" / "7").exists()
    assert "copied 7 (9.2 MB)" in output
    assert "7 deleted from the source" in output
    assert ("Next: set STORAGE_BACKEND=s3" in output) == (configured == "local")

    output = move("--to", "local", "--delete-source")

    assert local_files() == STORED | LOCAL_ONLY
    assert "copied 7 (9.2 MB)" in output
    assert bucket_files() == {}


def test_it_copies_nothing_the_second_time(configured: str) -> None:
    put_local(STORED)
    move("--to", "s3")
    written = {
        name: client().head_object(Bucket=settings.S3_BUCKET, Key=blobs.key(name))["ETag"]
        for name in STORED
    }

    again = move("--to", "s3")
    back = move("--to", "local")

    for output in (again, back):
        assert "copied 0 (0.0 MB), 7 already there (9.2 MB)" in output
        assert "Nothing to copy" in output
    assert {
        name: client().head_object(Bucket=settings.S3_BUCKET, Key=blobs.key(name))["ETag"]
        for name in STORED
    } == written
    assert local_files() == STORED


def test_it_continues_where_an_interrupted_run_stopped(s3: str) -> None:
    put_local(STORED)
    # A run killed half-way through a multipart upload leaves parts, never an object.
    partial = blobs.key("attachments/7/3.pdf")
    begun = client().create_multipart_upload(Bucket=settings.S3_BUCKET, Key=partial)
    client().upload_part(
        Bucket=settings.S3_BUCKET,
        Key=partial,
        UploadId=begun["UploadId"],
        PartNumber=1,
        Body=b"%PDF-1.7",
    )

    first = move("--to", "s3", "--limit", "2")

    assert "Stopped after 2 copies (--limit): run it again." in first
    assert len(bucket_files()) == 2

    second = move("--to", "s3")

    assert "copied 5" in second
    assert "2 already there" in second
    assert bucket_files() == STORED


def test_it_leaves_no_half_object_when_killed_mid_upload(s3: str) -> None:
    huge = bytes(range(256)) * 100_000
    put_local(STORED | {"uploads/1.mp4": huge})
    database = connection.settings_dict
    process = subprocess.Popen(
        [sys.executable, "manage.py", "move_storage", "--to", "s3"],
        cwd=settings.BASE_DIR,
        env=os.environ
        | {
            "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD'] or ''}"
            f"@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "STORAGE_ROOT": str(settings.STORAGE_ROOT),
            "S3_PREFIX": settings.S3_PREFIX,
        },
        stdout=subprocess.DEVNULL,
    )
    # Killed once its multipart upload of the big file has begun (or, on a machine that fast,
    # after the run): whatever the moment, the next run finishes the job.
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        begun = client().list_multipart_uploads(
            Bucket=settings.S3_BUCKET, Prefix=blobs.key("uploads/1.mp4")
        )
        if begun.get("Uploads"):
            break
        time.sleep(0.01)
    process.kill()
    process.wait()

    assert bucket_files().get("uploads/1.mp4") in (None, huge)

    move("--to", "s3")

    assert bucket_files() == STORED | {"uploads/1.mp4": huge}


def test_it_never_takes_a_partial_file_for_a_copy(s3: str) -> None:
    put_local(STORED)
    move("--to", "s3", "--delete-source")
    # A run back killed before its rename: the partial beside where the file goes.
    put_local({"results/.7.json.4242@elsewhere.00ff.tmp": b'{"text": "Tha'})

    output = move("--to", "local")

    assert "copied 7" in output
    assert local_files() == STORED | {"results/.7.json.4242@elsewhere.00ff.tmp": b'{"text": "Tha'}


def test_it_reports_a_copy_that_differs_and_keeps_its_source(s3: str) -> None:
    put_local(STORED)
    move("--to", "s3")
    # Another writer's object under the same name, of the same size.
    client().put_object(
        Bucket=settings.S3_BUCKET, Key=blobs.key("results/7.json"), Body=b'{"text": "Thank YOU."}'
    )

    with pytest.raises(CommandError, match="1 files need a look") as raised:
        move("--to", "s3", "--delete-source")

    assert "results/7.json: a different file is already at the destination" in str(raised.value)
    assert local_files() == {"results/7.json": STORED["results/7.json"]}

    move("--to", "s3", "--overwrite")

    assert bucket_files() == STORED


def test_it_hashes_the_objects_again_when_asked(s3: str) -> None:
    put_local(STORED)
    move("--to", "s3")
    # Damage that keeps the object's size and the sha256 recorded with it.
    recorded = hashlib.sha256(STORED["uploads/7.flac"]).hexdigest()
    client().put_object(
        Bucket=settings.S3_BUCKET,
        Key=blobs.key("uploads/7.flac"),
        Body=b"fLaC the recordinG",
        Metadata={"sha256": recorded},
    )

    with pytest.raises(CommandError, match="uploads/7.flac: a different file"):
        move("--to", "s3", "--verify-existing")


def test_it_reports_an_upload_that_no_longer_matches_its_recorded_sha256(
    s3: str, alice: User
) -> None:
    put_local({"uploads/7.flac": b"fLaC the recording, damaged"})
    Task.objects.create(
        user=alice,
        title="Interview",
        file_path="uploads/7.flac",
        sha256=hashlib.sha256(STORED["uploads/7.flac"]).hexdigest(),
    )

    with pytest.raises(CommandError, match="no longer match the sha256 recorded"):
        move("--to", "s3", "--delete-source")

    # Copied as it is (it is the only copy there is), and kept.
    assert bucket_files() == {"uploads/7.flac": b"fLaC the recording, damaged"}
    assert local_files() == {"uploads/7.flac": b"fLaC the recording, damaged"}


def test_it_accepts_uploads_that_match_their_recorded_sha256(s3: str, alice: User) -> None:
    put_local(STORED)
    Task.objects.create(
        user=alice,
        title="Interview",
        file_path="uploads/7.flac",
        sha256=hashlib.sha256(STORED["uploads/7.flac"]).hexdigest(),
    )

    move("--to", "s3", "--delete-source")

    assert bucket_files() == STORED


def test_it_changes_nothing_on_a_dry_run(s3: str) -> None:
    put_local(STORED)

    output = move("--to", "s3", "--dry-run", "--delete-source", verbosity=2)

    assert "would copy 7 (9.2 MB)" in output
    assert "uploads/8.mp4 (9.2 MB): would copy" in output
    assert bucket_files() == {}
    assert local_files() == STORED


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("S3_ENDPOINT_URL", "unreachable", "cannot be reached"),
        ("S3_BUCKET", "no-such-bucket", "There is no bucket 'no-such-bucket': create it."),
        ("S3_BUCKET", "", "Set S3_BUCKET"),
    ],
)
def test_it_says_what_is_wrong_with_the_store(
    s3: str, settings: Any, setting: str, value: str, message: str
) -> None:
    import sys

    put_local(STORED)
    if value == "unreachable":
        sys.path.insert(0, str(Path(settings.BASE_DIR) / "scripts"))
        from services import free_port

        value = f"http://127.0.0.1:{free_port()}"
        settings.S3_CONNECT_TIMEOUT_SECONDS = 0.5
    setattr(settings, setting, value)

    with pytest.raises(CommandError, match=message):
        move("--to", "s3", "--delete-source")

    assert local_files() == STORED
