"""GET and POST /dashboard/upload: the form, with and without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Mode, Task
from tasks_app.uploads import ACCEPTED_EXTENSIONS

XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def form(file: SimpleUploadedFile, **fields: Any) -> dict[str, Any]:
    return {
        "file": file,
        "title": "",
        "description": "",
        "mode": "transcribe",
        "model": "tiny.en",
        **fields,
    }


def test_it_requires_login(client: Client, db: None) -> None:
    response = client.get("/dashboard/upload")
    assert response["Location"] == "/login?next=/dashboard/upload"


def test_it_shows_the_form_with_the_limits_the_browser_checks(alice_client: Client) -> None:
    body = alice_client.get("/dashboard/upload").content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert f'accept="{",".join(ACCEPTED_EXTENSIONS)}"' in body
    assert "MP3, WAV" in body
    assert f'data-max-bytes="{100 * 1024 * 1024}"' in body
    assert 'id="dropzone"' in body and 'tabindex="0"' in body
    assert '<option value="" selected>Detect automatically</option>' in body
    assert 'value="tiny.en"' in body


def test_it_creates_the_task_and_goes_to_its_page(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile], queues: Any
) -> None:
    response = alice_client.post(
        "/dashboard/upload",
        form(upload(".flac"), description="Kennedy", language="en", model="tiny.en"),
    )
    assert response.status_code == 302
    task = Task.objects.get(user=alice)
    assert response["Location"] == f"/dashboard/tasks/{task.pk}"
    assert task.title == "jfk"
    assert (task.description, task.language, task.model_name) == ("Kennedy", "en", "tiny.en")
    assert task.mode == Mode.TRANSCRIBE
    assert task.has_file


def test_it_answers_the_pages_script_with_a_client_redirect(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile], queues: Any
) -> None:
    response = alice_client.post(
        "/dashboard/upload",
        form(upload(".flac"), title="My speech", mode="translate"),
        headers=XHR,
    )
    assert response.status_code == 200
    task = Task.objects.get(user=alice)
    assert response["HX-Redirect"] == f"/dashboard/tasks/{task.pk}"
    assert (task.title, task.mode) == ("My speech", Mode.TRANSCRIBE.TRANSLATE)
    assert "Upload complete." in alice_client.get(response["HX-Redirect"]).content.decode()


def test_each_file_of_a_batch_becomes_its_own_task_without_piling_up_messages(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile], queues: Any
) -> None:
    batch = {**XHR, "X-Upload-Batch": "1"}
    first = alice_client.post("/dashboard/upload", form(upload(".flac")), headers=batch)
    second = alice_client.post("/dashboard/upload", form(upload(".mp3")), headers=batch)
    tasks = Task.objects.filter(user=alice).order_by("created_at")
    assert [task.title for task in tasks] == ["jfk", "jfk"]
    assert [first["HX-Redirect"], second["HX-Redirect"]] == [
        f"/dashboard/tasks/{task.pk}" for task in tasks
    ]
    # The page lists every file with a link to its task; no message waits for the next page.
    assert "Upload complete." not in alice_client.get("/dashboard").content.decode()


def test_it_shows_only_the_drop_zone_language_and_start_until_advanced_is_opened(
    alice_client: Client,
) -> None:
    body = alice_client.get("/dashboard/upload").content.decode()
    main, advanced = body.split('<details class="upload-advanced" id="upload-advanced">')
    advanced = advanced[: advanced.index("</details>")]
    for field in ("id_file", "id_language"):
        assert f'id="{field}"' in main
    assert 'id="upload-submit">Start</button>' in body
    for field in ("id_text", "id_any_file", "id_title", "id_description", "id_model"):
        assert f'id="{field}"' in advanced
    assert "id_mode_0" in advanced and "id_normalized_audio" in advanced
    assert "due_date" in advanced and "due_date" not in main


def test_advanced_opens_by_itself_when_a_field_in_it_needs_attention(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile]
) -> None:
    response = alice_client.post("/dashboard/upload", form(upload(".flac"), text="and a text"))
    assert response.status_code == 400
    body = response.content.decode()
    assert '<details class="upload-advanced" id="upload-advanced" open>' in body
    assert "Send either a file or a text, not both." in body


def test_it_shows_the_servers_words_for_a_rejected_file(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile]
) -> None:
    fake = upload(".flac", name="notes.exe", content=b"MZ binary", content_type="text/plain")
    response = alice_client.post("/dashboard/upload", form(fake), headers=XHR)
    assert response.status_code == 415
    body = response.content.decode()
    assert body.startswith('<form id="upload-form"')
    assert ", ".join(ACCEPTED_EXTENSIONS) in body
    assert not Task.objects.filter(user=alice).exists()


def test_it_refuses_a_file_over_the_limit(
    alice_client: Client,
    alice: User,
    upload: Callable[..., SimpleUploadedFile],
    settings: Any,
) -> None:
    settings.MAX_UPLOAD_BYTES = 50_000
    response = alice_client.post("/dashboard/upload", form(upload(".flac")))
    assert response.status_code == 413
    assert "larger than" in response.content.decode()
    assert "<html" in response.content.decode()
    assert not Task.objects.filter(user=alice).exists()


def test_it_checks_the_csrf_token_itself(alice: User, upload: Callable[..., Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["access_token"] = issue_tokens(alice)[0]
    response = browser.post("/dashboard/upload", form(upload(".flac")))
    assert response.status_code == 403
    assert not Task.objects.filter(user=alice).exists()


def test_it_rejects_an_unknown_model(
    alice_client: Client, alice: User, upload: Callable[..., SimpleUploadedFile]
) -> None:
    response = alice_client.post("/dashboard/upload", form(upload(".flac"), model="huge-v9"))
    assert response.status_code == 400
    assert "huge-v9" in response.content.decode()
    assert not Task.objects.filter(user=alice).exists()


def test_it_uploads_into_a_team_chosen_among_the_workspaces_the_user_may_add_to(
    alice_client: Client,
    alice: User,
    team: Any,
    upload: Callable[..., SimpleUploadedFile],
    queues: Any,
) -> None:
    body = alice_client.get("/dashboard/upload").content.decode()
    assert 'name="workspace"' in body and "Newsroom" in body
    response = alice_client.post("/dashboard/upload", form(upload(".flac"), workspace=team.pk))
    assert response.status_code == 302
    assert Task.objects.get(user=alice).workspace == team


def test_it_offers_no_workspace_choice_to_someone_with_only_their_own(
    alice_client: Client,
) -> None:
    assert 'name="workspace"' not in alice_client.get("/dashboard/upload").content.decode()


def test_it_says_the_file_store_is_down_and_keeps_the_form(
    s3_down: Callable[[], None],
    alice_client: Client,
    alice: User,
    upload: Callable[..., SimpleUploadedFile],
) -> None:
    s3_down()
    response = alice_client.post(
        "/dashboard/upload", form(upload(".flac"), title="Board meeting"), headers=XHR
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "file store cannot be reached" in body
    assert 'value="Board meeting"' in body
    assert not Task.objects.filter(user=alice).exists()
