"""GET /api/v1/tasks/<id>/file: the original upload, as a safe attachment."""

from __future__ import annotations

import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import blobs
from tasks_app.models import Task


def url(task: Task) -> str:
    return f"/api/v1/tasks/{task.pk}/file"


def test_it_streams_the_upload_as_an_attachment(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
) -> None:
    task = make_task(alice, file=True, title="Inaugural address")
    response = api(alice).get(url(task))
    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == jfk_flac.read_bytes()
    assert response["Content-Type"] == "audio/flac"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == ('attachment; filename="Inaugural address.flac"')


PERSIAN = "%DA%AF%D8%B2%D8%A7%D8%B1%D8%B4%20%D8%AC%D9%84%D8%B3%D9%87.flac"


@pytest.mark.parametrize(
    ("title", "disposition"),
    [
        # Django's content_disposition_header: a quoted name when ASCII, else RFC 5987 only.
        ("گزارش جلسه", f"attachment; filename*=utf-8''{PERSIAN}"),
        ('Café "quotes"; x', "attachment; filename*=utf-8''Caf%C3%A9%20%27quotes%27%3B%20x.flac"),
        ("a\r\nSet-Cookie: evil=1", 'attachment; filename="aSet-Cookie: evil=1.flac"'),
        ("../../etc/passwd", 'attachment; filename="passwd.flac"'),
    ],
    ids=["persian", "quotes", "crlf", "traversal"],
)
def test_it_makes_a_safe_filename_from_any_title(
    title: str,
    disposition: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True, title=title)
    response = api(alice).get(url(task))
    assert response.status_code == 200
    assert response["Content-Disposition"] == disposition
    assert "Set-Cookie" not in response.headers


def test_it_answers_404_for_a_todo_and_410_once_the_audio_is_purged(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice)
    assert api(alice).get(url(todo)).json()["code"] == "no_file"
    purged = make_task(alice, file=True, audio_purged_at=timezone.now())
    response = api(alice).get(url(purged))
    assert response.status_code == 410
    assert response.json()["code"] == "file_gone"


def test_it_answers_json_errors_whatever_the_client_accepts(
    alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    todo = make_task(alice)
    response = api(alice).get(url(todo), HTTP_ACCEPT="audio/*")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_it_answers_a_range_with_206_and_only_those_bytes(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
) -> None:
    """Players seek with Range; a server that ignores it leaves them unable to. On S3 too: the
    app asks the store for that range only."""
    task = make_task(alice, file=True)
    whole = jfk_flac.read_bytes()
    size = len(whole)
    for header, first, last in [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, size - 1),
        ("bytes=-100", size - 100, size - 1),
        ("bytes=100-999999999", 100, size - 1),
    ]:
        response = api(alice).get(url(task), HTTP_RANGE=header)
        assert response.status_code == 206, header
        assert response["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert response["Content-Length"] == str(last - first + 1)
        assert response["Accept-Ranges"] == "bytes"
        assert response["Content-Type"] == "audio/flac"
        assert b"".join(response.streaming_content) == whole[first : last + 1]


def test_it_answers_416_for_a_range_past_the_end(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
) -> None:
    task = make_task(alice, file=True)
    size = jfk_flac.stat().st_size
    assert api(alice).get(url(task), HTTP_RANGE=f"bytes={size - 1}-").status_code == 206
    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        response = api(alice).get(url(task), HTTP_RANGE=header)
        assert response.status_code == 416, header
        assert response["Content-Range"] == f"bytes */{size}"


@pytest.mark.parametrize(
    "header", ["bytes=0-9,20-29", "bytes=9-0", "items=0-9", "bytes=a-b", "bytes=-", "garbage"]
)
def test_it_sends_the_whole_file_for_a_range_it_does_not_serve(
    backend: str,
    header: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
) -> None:
    """Several ranges or a malformed header: the whole file, which RFC 9110 allows."""
    task = make_task(alice, file=True)
    response = api(alice).get(url(task), HTTP_RANGE=header)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert "Content-Range" not in response
    assert b"".join(response.streaming_content) == jfk_flac.read_bytes()


def test_it_answers_head_with_the_headers_and_no_body(
    backend: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
) -> None:
    task = make_task(alice, file=True)
    response = api(alice).head(url(task))
    assert response.status_code == 200
    assert response["Content-Length"] == str(jfk_flac.stat().st_size)
    assert response["Accept-Ranges"] == "bytes"
    assert response.content == b""
    ranged = api(alice).head(url(task), HTTP_RANGE="bytes=0-99")
    assert (ranged.status_code, ranged["Content-Length"]) == (206, "100")


def test_it_sends_the_whole_file_when_if_range_names_another_version(
    backend: str, alice: User, api: Callable[..., APIClient], make_task: Callable[..., Task]
) -> None:
    task = make_task(alice, file=True)
    etag = api(alice).head(url(task))["ETag"]
    same = api(alice).get(url(task), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=etag)
    assert same.status_code == 206
    other = api(alice).get(url(task), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another"')
    assert other.status_code == 200


def test_it_hands_the_file_to_nginx_only_after_checking_the_owner(
    alice: User,
    charlie: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    settings: Any,
) -> None:
    settings.X_ACCEL_REDIRECT = True
    task = make_task(alice, file=True, title="Inaugural address")
    response = api(alice).get(url(task), HTTP_RANGE="bytes=0-99")
    assert response.status_code == 200  # nginx turns it into the 206
    assert response["X-Accel-Redirect"] == f"/protected/uploads/{task.pk}.flac"
    assert response.content == b""
    assert response["Content-Type"] == "audio/flac"
    assert response["Content-Disposition"] == 'attachment; filename="Inaugural address.flac"'
    assert response["Cache-Control"] == "private, no-store"
    stranger = api(charlie).get(url(task))
    assert stranger.status_code == 404
    assert "X-Accel-Redirect" not in stranger


def test_it_answers_curl_ranges_from_a_live_server(
    alice: User, make_task: Callable[..., Task], jfk_flac: Path, live_server: Any
) -> None:
    """A real client over a real socket: `make run` has no nginx, the app answers ranges."""
    from accounts.tokens import issue_tokens

    task = make_task(alice, file=True)
    access, _ = issue_tokens(alice)
    result = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--range",
            "0-99",
            "--header",
            f"Authorization: Bearer {access}",
            "--dump-header",
            "-",
            f"{live_server.url}{url(task)}",
        ],
        capture_output=True,
        check=True,
        timeout=30,
    )
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 206"), head
    assert b"Content-Range: bytes 0-99/" in head
    assert body == jfk_flac.read_bytes()[:100]


def test_it_streams_from_the_store_even_when_nginx_is_configured(
    s3: str,
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    settings: Any,
) -> None:
    """nginx has no file to send for an object: the app answers the range itself, with the
    object's ETag as validator."""
    settings.X_ACCEL_REDIRECT = True
    task = make_task(alice, file=True)
    response = api(alice).get(url(task), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert "X-Accel-Redirect" not in response
    assert response["ETag"] == blobs.stat(task.file_path).etag
    assert response["Cache-Control"] == "private, no-store"
    assert not list((Path(settings.STORAGE_ROOT) / "uploads").glob("*"))


def test_it_redirects_to_a_short_lived_url_of_the_store_when_asked_to(
    s3: str,
    alice: User,
    charlie: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
    jfk_flac: Path,
    settings: Any,
) -> None:
    settings.S3_PRESIGNED_DOWNLOADS = True
    task = make_task(alice, file=True, title="Inaugural address")
    response = api(alice).get(url(task))
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = response["Location"]
    assert "X-Amz-Expires=300" in location
    ranged = urllib.request.Request(location, headers={"Range": "bytes=0-99"})  # noqa: S310
    with urllib.request.urlopen(ranged, timeout=10) as stored:  # noqa: S310 (our loopback store)
        assert stored.status == 206
        assert stored.read() == jfk_flac.read_bytes()[:100]
        assert stored.headers["Content-Type"] == "audio/flac"
        assert stored.headers["Content-Disposition"] == (
            'attachment; filename="Inaugural address.flac"'
        )
    assert api(charlie).get(url(task)).status_code == 404


def test_it_answers_503_when_the_store_cannot_be_reached(
    s3_down: Callable[[], None],
    alice: User,
    api: Callable[..., APIClient],
    make_task: Callable[..., Task],
) -> None:
    task = make_task(alice, file=True)
    s3_down()
    response = api(alice).get(url(task), HTTP_RANGE="bytes=0-9")
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert response["Retry-After"]
