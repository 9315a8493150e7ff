"""/analytics and its CSV and Excel exports: the tasks of the user's workspaces, of one of them,
or everyone's for staff."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from accounts.tests.test_page_account import signed_in
from tasks_app.analytics.queries import scope_for, summarize
from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Status, Task


def test_it_requires_login(client: Client, db: None) -> None:
    assert client.get("/analytics")["Location"] == "/login?next=/analytics"
    assert client.get("/analytics/export.csv").status_code == 302


def test_it_summarizes_the_users_tasks(alice: Any, charlie: Any) -> None:
    transcription(alice, duration=120.0)  # processed in 10 s: 12×
    transcription(alice, duration=180.0, started_at=timezone.now() - timedelta(seconds=20))
    transcription(alice, Status.FAILED, error_code="DECODE_ERROR")
    transcription(alice, Status.FAILED, error_code="DECODE_ERROR")
    transcription(alice, Status.FAILED, error_code="TIMEOUT")
    Task.objects.create(user=alice, title="To-do")
    transcription(charlie, duration=6000.0)
    old = transcription(alice, duration=600.0)
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))

    summary = summarize(scope_for(alice).tasks, 30)
    assert summary.total == 6
    assert dict(summary.by_status)["Completed"] == 2
    assert dict(summary.by_status)["Failed"] == 3
    assert dict(summary.by_kind) == {
        **dict.fromkeys(dict(summary.by_kind), 0),
        "To-do": 1,
        "Transcription": 5,
    }
    assert summary.failures == [("DECODE_ERROR", 2), ("TIMEOUT", 1)]
    assert summary.audio_minutes == 5.0
    assert summary.real_time_factor == 10.0  # 300 s of audio in 30 s of processing
    assert len(summary.per_day) == 30
    # Completions count on the day they happen, also for the task created 40 days ago.
    assert summary.per_day[-1][1:] == (6, 3)


def test_it_shows_charts_of_the_users_own_tasks(client: Client, alice: Any, charlie: Any) -> None:
    transcription(alice, title="Alice's")
    transcription(charlie, Status.FAILED, error_code="TIMEOUT")
    signed_in(client, alice)
    body = client.get("/analytics").content.decode()
    assert body.count("<svg") == 3  # no failures: no failure chart
    assert '<dd id="total-tasks">1</dd>' in body
    assert "TIMEOUT" not in body
    assert 'id="per-user"' not in body


def test_staff_see_everyone_unless_they_ask_for_their_own(
    client: Client, staff: Any, alice: Any, charlie: Any
) -> None:
    transcription(alice)
    transcription(charlie, Status.FAILED, error_code="TIMEOUT")
    signed_in(client, staff)
    body = client.get("/analytics", {"days": "7"}).content.decode()
    assert '<dd id="total-tasks">2</dd>' in body
    assert "alice@example.org" in body and "charlie@example.org" in body
    assert "TIMEOUT" in body
    mine = client.get("/analytics", {"scope": "mine"}).content.decode()
    assert '<dd id="total-tasks">0</dd>' in mine


def test_it_exports_the_users_tasks_as_csv(client: Client, alice: Any, charlie: Any) -> None:
    task = transcription(alice, title='=HYPERLINK("http://evil")')
    transcription(charlie, title="Charlie's")
    signed_in(client, alice)
    response = client.get("/analytics/export.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["id", "owner", "title", "kind", "status"]
    assert [row[0] for row in rows[1:]] == [str(task.pk)]
    assert rows[1][2] == '\'=HYPERLINK("http://evil")'
    assert rows[1][8] == "120.0"


def test_it_exports_everyones_tasks_to_staff_as_xlsx(
    client: Client, staff: Any, alice: Any, charlie: Any
) -> None:
    transcription(alice, title="+1 formula")
    transcription(charlie, title="Charlie's")
    signed_in(client, staff)
    response = client.get("/analytics/export.xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "owner", "title")
    assert {(row[1], row[2]) for row in rows[1:]} == {
        ("alice@example.org", "'+1 formula"),
        ("charlie@example.org", "Charlie's"),
    }
    assert rows[1][8] == 120.0


def test_it_writes_every_figure_in_persian_digits_for_persian_readers(
    client: Client, staff: Any
) -> None:
    for _ in range(12):
        transcription(staff, duration=120.0)  # 12 × 2 minutes in 10 s each: 12×
    signed_in(client, staff)
    client.cookies["django_language"] = "fa"
    body = client.get("/analytics?days=30").content.decode()
    assert '<dd id="total-tasks">۱۲</dd>' in body
    assert '<dd id="audio-minutes">۲۴.۰</dd>' in body
    assert '<dd id="real-time-factor">۱۲.۰×</dd>' in body
    assert "۳۰ روز گذشته" in body
    assert "<td>۱۲</td>" in body  # the per-user table
    # The charts' figures and days too; Latin digits remain only in markup and the e-mail.
    chart = body[body.index('<svg class="chart"') : body.rindex("</svg>")]
    texts = re.findall(r">([^<>]+)<", chart)
    assert texts and not [text for text in texts if re.search(r"[0-9]", text)]


def test_it_narrows_to_one_workspace_with_a_per_member_table_for_its_admins(
    client: Client, alice: Any, bob: Any, team: Any
) -> None:
    transcription(alice, title="Alice's own")
    transcription(bob, workspace=team, duration=60.0)
    transcription(alice, Status.FAILED, workspace=team, error_code="TIMEOUT")
    signed_in(client, alice)
    every = client.get("/analytics").content.decode()
    # Without a choice: every workspace alice is in.
    assert '<dd id="total-tasks">3</dd>' in every
    assert f'<option value="{team.pk}" >Newsroom</option>' in every
    assert 'id="per-user"' not in every

    body = client.get("/analytics", {"workspace": team.pk, "days": 7}).content.decode()
    assert '<dd id="total-tasks">2</dd>' in body
    assert f'<option value="{team.pk}" selected>Newsroom</option>' in body
    table = body[body.index('id="per-user"') : body.index("</table>")]
    # Every member, dave with no tasks too, with their role.
    assert "bob@example.org" in table and "dave@example.org" in table
    assert "<td>Viewer</td>" in table
    assert f"/analytics/export.csv?days=7&amp;workspace={team.pk}" in body

    signed_in(client, bob)
    editor = client.get("/analytics", {"workspace": team.pk}).content.decode()
    assert '<dd id="total-tasks">2</dd>' in editor
    assert 'id="per-user"' not in editor


def test_it_answers_404_for_a_workspace_the_user_is_not_in(
    client: Client, charlie: Any, team: Any
) -> None:
    signed_in(client, charlie)
    assert client.get("/analytics", {"workspace": team.pk}).status_code == 404
    assert client.get("/analytics", {"workspace": "9" * 30}).status_code == 404
    assert client.get("/analytics/export.csv", {"workspace": team.pk}).status_code == 404


def test_it_exports_one_workspaces_tasks_of_the_chosen_days(
    client: Client, alice: Any, team: Any
) -> None:
    recent = transcription(alice, workspace=team, title="Recent")
    old = transcription(alice, workspace=team, title="Old")
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    transcription(alice, title="Personal")
    signed_in(client, alice)
    response = client.get("/analytics/export.csv", {"workspace": team.pk, "days": 30})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["id"], row["workspace"]) for row in rows] == [(str(recent.pk), "Newsroom")]
