"""`manage.py integrations_tick --once`: one round of events, deliveries and retention."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tasks_app.integrations import notifications
from tasks_app.integrations.events import tick
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.models import Kind, Status, Task
from writers import metrics

# The command closes stale connections between rounds, which a test transaction cannot survive.
pytestmark = pytest.mark.django_db(transaction=True)


def completed(user: Any) -> Task:
    return Task.objects.create(
        user=user,
        title="Interview",
        kind=Kind.TRANSCRIPTION,
        file_path="uploads/x.flac",
        status=Status.COMPLETED,
        completed_at=timezone.now(),
    )


def test_it_ticks_once_and_reports(alice: Any) -> None:
    completed(alice)
    out = io.StringIO()
    call_command("integrations_tick", "--once", stdout=out)
    assert out.getvalue().strip() == (
        "Integrations: 1 task events, 0 overdue, 0 webhook deliveries tried, 0 audio files deleted"
    )
    assert Notification.objects.filter(user=alice, event="task.completed").exists()


def test_it_keeps_going_when_a_tick_fails(alice: Any, monkeypatch: Any) -> None:
    from tasks_app.management.commands import integrations_tick

    calls: list[str] = []

    def failing_tick(**kwargs: Any) -> Any:
        calls.append("tick")
        raise RuntimeError("database is down")

    def stop_after_one_sleep(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(integrations_tick, "tick", failing_tick)
    monkeypatch.setattr(integrations_tick.time, "sleep", stop_after_one_sleep)
    with pytest.raises(KeyboardInterrupt):
        call_command("integrations_tick")
    assert calls == ["tick"]


def test_it_goes_on_past_an_event_that_raises_and_counts_it(
    alice: Any, bob: Any, monkeypatch: Any, client: Client, settings: Any
) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # /metrics is closed by default
    real_notify = notifications.notify

    def notify_failing_for_alice(event: TaskEvent) -> Any:
        if event.task.user_id == alice.pk:
            raise RuntimeError("a bug in one user's data")
        return real_notify(event)

    monkeypatch.setattr(notifications, "notify", notify_failing_for_alice)
    metrics._redis().delete(f"{metrics.PREFIX}:integration_errors")
    completed(alice)
    completed(bob)
    assert tick().events == 1
    assert Notification.objects.filter(user=bob).exists()
    # Alice's event rolled back whole, so a later tick tells it once the bug is gone.
    assert not TaskEvent.objects.filter(task__user=alice).exists()
    scraped = text_string_to_metric_families(client.get("/metrics").content.decode())
    errors = {
        sample.labels["stage"]: sample.value
        for family in scraped
        for sample in family.samples
        if sample.name == "writers_integration_errors_total"
    }
    assert errors == {"event": 1}
    monkeypatch.setattr(notifications, "notify", real_notify)
    assert tick().events == 1
