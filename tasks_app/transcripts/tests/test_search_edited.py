"""Search (q=) finds the words of the edited transcript, and its snippet quotes them."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app import services as task_services
from tasks_app.models import Task
from tasks_app.transcripts import services


def found(client: APIClient, q: str) -> list[str]:
    return [task["id"] for task in client.get("/api/v1/tasks", {"q": q}).json()["tasks"]]


def test_it_finds_words_of_the_edited_transcript(
    transcribed: Callable[..., Task], alice: User, api: Callable[[User | None], APIClient]
) -> None:
    task = transcribed()
    client = api(alice)
    assert found(client, "Americans") == [str(task.pk)]
    services.apply(task, alice, 0, [{"op": "replace", "find": "Americans", "replace": "Iranians"}])
    assert found(client, "Iranians") == [str(task.pk)]
    assert found(client, "Americans") == []


def test_it_quotes_the_edited_segment_with_its_time(
    transcribed: Callable[..., Task], alice: User
) -> None:
    task = transcribed()
    before = task_services.search_snippet(task, "country")
    assert before is not None and before.start == 4.5
    services.apply(task, alice, 0, [{"op": "edit", "id": 2, "text": "Thank you, dear country."}])
    snippet = task_services.search_snippet(task, "dear")
    assert snippet is not None
    assert snippet.start == 9.5
    assert "<mark>dear</mark>" in snippet.html
    assert task_services.search_snippet(task, "country").start == 4.5
