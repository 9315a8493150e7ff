"""tasks_app.blobs: the same behaviour on files under STORAGE_ROOT and on a real S3 store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tasks_app import blobs


def test_it_writes_reads_and_deletes_whole_files(backend: str) -> None:
    blobs.write_json("results/one/1.json", {"text": "Thank you."})
    assert blobs.exists("results/one/1.json")
    assert blobs.read_json("results/one/1.json") == {"text": "Thank you."}
    assert blobs.size("results/one/1.json") == len(b'{"text": "Thank you."}')
    assert blobs.delete("results/one/1.json") is True
    assert blobs.delete("results/one/1.json") is False
    assert not blobs.exists("results/one/1.json")
    assert blobs.read_json("results/one/1.json") is None
    assert blobs.size("results/one/1.json") is None


def test_it_streams_a_large_file_in_and_reads_a_range_back(backend: str, tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    # Past boto3's 8 MiB multipart threshold: the upload goes in parts.
    source.write_bytes(bytes(range(256)) * 40_000)
    blobs.put_file("uploads/big.bin", source, move=True)
    assert not source.exists()
    assert blobs.size("uploads/big.bin") == 10_240_000
    with blobs.open_range("uploads/big.bin", 256, 511) as stream:
        assert stream.read(256) == bytes(range(256))
    with blobs.local_copy("uploads/big.bin") as copy:
        assert copy.stat().st_size == 10_240_000
        kept = copy
    assert kept.exists() == (backend == "local")


def test_it_lists_what_is_stored_under_a_folder(backend: str) -> None:
    blobs.write_bytes("attachments/t1/a.txt", b"a")
    blobs.write_bytes("attachments/t2/b.txt", b"b")
    blobs.write_bytes("uploads/c.flac", b"c")
    assert sorted(name for name, _ in blobs.listing("attachments")) == [
        "attachments/t1/a.txt",
        "attachments/t2/b.txt",
    ]


def test_it_says_a_missing_file_is_missing(backend: str) -> None:
    with pytest.raises(FileNotFoundError), blobs.local_copy("uploads/none.flac"):
        pass
    with pytest.raises(FileNotFoundError):
        blobs.open_read("uploads/none.flac")


def test_it_keeps_each_test_in_its_own_prefix(s3: str) -> None:
    blobs.write_bytes("uploads/x.flac", b"x")
    assert blobs.key("uploads/x.flac") == f"{settings.S3_PREFIX}/uploads/x.flac"
    assert blobs.store().exists("uploads/x.flac")


def test_it_signs_a_url_that_serves_the_file_with_our_headers(s3: str) -> None:
    import urllib.request

    blobs.write_bytes("uploads/x.txt", b"hello")
    url = blobs.presigned_url("uploads/x.txt", filename="notes.txt", content_type="text/plain")
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (our loopback store)
        assert answer.read() == b"hello"
        assert answer.headers["Content-Disposition"].startswith("attachment")
        assert "notes.txt" in answer.headers["Content-Disposition"]


def test_it_turns_an_unreachable_store_into_store_unavailable(s3: str, settings: Any) -> None:
    sys.path.insert(0, str(Path(settings.BASE_DIR) / "scripts"))
    from services import free_port

    settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.S3_CONNECT_TIMEOUT_SECONDS = 0.5
    with pytest.raises(blobs.StoreUnavailable, match="cannot be reached"):
        blobs.write_bytes("uploads/x.flac", b"x")
    with pytest.raises(blobs.StoreUnavailable):
        blobs.read_bytes("uploads/x.flac")


def test_it_turns_a_store_answering_errors_into_store_unavailable(
    s3: str, settings: Any, tmp_path: Path
) -> None:
    import signal

    from scripts.services import ObjectStoreServer

    store = ObjectStoreServer(tmp_path / "s3").start()
    settings.S3_ENDPOINT_URL = store.url
    source = tmp_path / "upload.flac"
    source.write_bytes(b"x" * 1000)
    blobs.put_file("uploads/before.flac", source)
    # Stopping gracefully, SeaweedFS answers every request with a 500 for its 25 s of draining.
    store.process.send_signal(signal.SIGTERM)
    try:
        with pytest.raises(blobs.StoreUnavailable):
            blobs.put_file("uploads/during.flac", source)
        with pytest.raises(blobs.StoreUnavailable), blobs.local_copy("uploads/before.flac"):
            pass
    finally:
        store.stop(signal.SIGKILL)
