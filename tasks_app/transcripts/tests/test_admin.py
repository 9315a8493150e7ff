"""The Task admin lists the transcript's revisions, read-only."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client

from accounts.models import User
from tasks_app.models import Task
from tasks_app.transcripts import services


def test_it_shows_the_revisions_read_only(
    staff: User, alice: User, transcribed: Callable[..., Task]
) -> None:
    task = transcribed()
    services.apply(task, alice, 0, [{"op": "delete", "id": 0}])
    services.apply(task, None, 1, [{"op": "rename_speaker", "from": "Speaker 1", "to": "Host"}])
    client = Client()
    client.force_login(staff)
    html = client.get(f"/admin/tasks_app/task/{task.pk}/change/").content.decode()
    assert "Deleted segment 0" in html and "Renamed Speaker 1 to Host" in html
    assert html.index("Renamed Speaker 1") < html.index("Deleted segment 0")
    assert 'name="revisions-0-summary"' not in html
    assert "revisions-0-DELETE" not in html
