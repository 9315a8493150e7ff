"""`manage.py integrations_tick --once`: one round of events, deliveries and retention."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks_app.integrations.models import Notification
from tasks_app.models import Kind, Status, Task

# The command closes stale connections between rounds, which a test transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)


def test_it_ticks_once_and_reports(alice: Any) -> None:
    Task.objects.create(
        user=alice,
        title="Interview",
        kind=Kind.TRANSCRIPTION,
        file_path="uploads/x.flac",
        status=Status.COMPLETED,
        completed_at=timezone.now(),
    )
    out = io.StringIO()
    call_command("integrations_tick", "--once", stdout=out)
    assert out.getvalue().strip() == (
        "Integrations: 1 task events, 0 overdue, 0 webhook deliveries tried, 0 audio files deleted"
    )
    assert Notification.objects.filter(user=alice, event="task.completed").exists()


def test_it_keeps_going_when_a_tick_fails(alice: Any, monkeypatch: Any) -> None:
    from tasks_app.management.commands import integrations_tick

    calls: list[str] = []

    def failing_tick() -> Any:
        calls.append("tick")
        raise RuntimeError("database is down")

    def stop_after_one_sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(integrations_tick, "tick", failing_tick)
    monkeypatch.setattr(integrations_tick.time, "sleep", stop_after_one_sleep)
    with pytest.raises(KeyboardInterrupt):
        call_command("integrations_tick")
    assert calls == ["tick"]
