"""Schedules: rules and slots, exactly-once runs, catch-up after downtime, pause/resume, run
now, and what a run makes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tasks_app.integrations.models import Notification
from tasks_app.models import Kind, Status, Task
from tasks_app.schedules import services
from tasks_app.schedules.models import Execution, Schedule
from tasks_app.tags.models import Tag

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "after", "expected"),
    [
        # Berlin leaves summer time on 2026-10-25: 9:00 local is 07:00 UTC before, 08:00 after.
        ("Europe/Berlin", "2026-10-24T06:00", ["2026-10-24T07:00", "2026-10-25T08:00"]),
        # And enters it on 2026-03-29: 08:00 UTC before, 07:00 after.
        ("Europe/Berlin", "2026-03-28T06:00", ["2026-03-28T08:00", "2026-03-29T07:00"]),
        # Tehran keeps +03:30 all year since 2022.
        ("Asia/Tehran", "2026-03-20T00:00", ["2026-03-20T05:30", "2026-03-21T05:30"]),
    ],
)
def test_it_reads_cron_fields_in_the_schedules_time_zone(
    tz: str, after: str, expected: list[str]
) -> None:
    schedule = Schedule(rule="cron", cron="0 9 * * *", timezone=tz)
    first = services.slot_after(schedule, at(after))
    assert first is not None
    assert [first, services.slot_after(schedule, first)] == [at(e) for e in expected]


def test_it_counts_an_interval_from_its_first_run() -> None:
    schedule = Schedule(rule="interval", interval_seconds=600, run_at=at("2026-01-01T09:00"))
    assert services.slot_after(schedule, at("2026-01-01T08:00")) == at("2026-01-01T09:00")
    assert services.slot_after(schedule, at("2026-01-01T09:00")) == at("2026-01-01T09:10")
    assert services.slot_after(schedule, at("2026-01-01T09:25")) == at("2026-01-01T09:30")


def test_it_lists_the_next_five_runs(make_schedule: Any) -> None:
    schedule = make_schedule()
    runs = services.next_runs(schedule)
    assert len(runs) == 5
    assert [b - a for a, b in zip(runs, runs[1:], strict=False)] == [timedelta(hours=1)] * 4


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_slot_once_when_two_processes_see_it_due(make_schedule: Any) -> None:
    schedule = make_schedule(next_run_at=timezone.now() - timedelta(seconds=1))
    due = schedule.next_run_at
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def run() -> None:
        barrier.wait()
        try:
            results.append(services.run_due(schedule.pk, due))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in results) == [False, True]
    assert Execution.objects.filter(schedule=schedule).count() == 1
    assert Task.objects.filter(workspace=schedule.workspace).count() == 1
    schedule.refresh_from_db()
    assert schedule.next_run_at > timezone.now()


def test_a_schedule_down_for_three_slots_runs_once_marked_missed(make_schedule: Any) -> None:
    start = timezone.now() - timedelta(hours=3, minutes=30)
    schedule = make_schedule(run_at=start, next_run_at=start)
    assert services.catch_up() == 1
    # A restart (the worker and the tick both catch up) runs nothing more.
    assert services.catch_up() == 0
    execution = Execution.objects.get(schedule=schedule)
    assert execution.missed and execution.outcome == Execution.Outcome.SUCCEEDED
    # It stands for the latest slot that passed, not the first.
    assert execution.due_at == start + timedelta(hours=3)
    schedule.refresh_from_db()
    assert schedule.next_run_at == start + timedelta(hours=4)
    assert Task.objects.filter(workspace=schedule.workspace).count() == 1


def test_catch_up_leaves_a_slot_that_is_just_due_to_the_clock(make_schedule: Any) -> None:
    make_schedule(next_run_at=timezone.now() - timedelta(seconds=5))
    assert services.catch_up() == 0


def test_a_once_schedule_runs_once_and_has_no_next_run(make_schedule: Any) -> None:
    due = timezone.now() - timedelta(seconds=1)
    schedule = make_schedule(rule="once", run_at=due, next_run_at=due, interval_seconds=None)
    assert services.run_due(schedule.pk, due) is not None
    schedule.refresh_from_db()
    assert schedule.next_run_at is None
    assert services.next_runs(schedule) == []


def test_it_does_not_run_a_paused_schedule_and_resumes_without_a_burst(
    make_schedule: Any,
) -> None:
    schedule = make_schedule(next_run_at=timezone.now() - timedelta(hours=5))
    due = schedule.next_run_at
    services.pause(schedule)
    assert services.run_due(schedule.pk, due) is None
    assert services.catch_up() == 0
    services.resume(schedule)
    schedule.refresh_from_db()
    assert not schedule.paused and schedule.next_run_at > timezone.now()
    assert services.catch_up() == 0
    assert not Execution.objects.exists()


def test_it_makes_the_to_do_from_the_template(
    make_schedule: Any, alice: Any, bob: Any, team: Any
) -> None:
    tag = Tag.objects.create(workspace=team, name="daily", color="#336699")
    schedule = make_schedule(
        timezone="Asia/Tehran",
        title="Report %Y-%m-%d %H:%M",
        description="Write it",
        assignee=bob,
        priority="high",
        due_in_days=2,
    )
    schedule.tags.set([tag])
    due = at("2026-06-01T05:00")
    Schedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    execution = services.run_due(schedule.pk, due)
    assert execution is not None and execution.outcome == "succeeded", execution.error
    task = execution.task
    assert task.kind == Kind.TODO and task.user == alice and task.workspace == team
    # The date in the schedule's zone: 05:00 UTC is 08:30 in Tehran.
    assert task.title == "Report 2026-06-01 08:30"
    assert task.description == "Write it"
    assert (task.assignee, task.priority) == (bob, "high")
    assert task.due_date == due + timedelta(days=2)
    assert list(task.tags.all()) == [tag]
    assert Notification.objects.filter(user=bob, task=task, event="task.assigned").exists()


def test_run_now_runs_out_of_turn_and_keeps_the_next_slot(make_schedule: Any) -> None:
    schedule = make_schedule()
    before = schedule.next_run_at
    execution = services.run_now(schedule)
    assert execution.manual and execution.outcome == "succeeded"
    schedule.refresh_from_db()
    assert schedule.next_run_at == before


def test_a_run_fails_with_a_reason_when_the_owner_became_a_viewer(
    make_schedule: Any, bob: Any, team: Any
) -> None:
    schedule = make_schedule(created_by=bob)
    team.memberships.filter(user=bob).update(role="viewer")
    execution = services.run_now(schedule)
    assert execution.outcome == "failed"
    assert "Viewers cannot add tasks" in execution.error
    assert execution.finished_at is not None


def test_an_analysis_schedule_re_runs_a_text_tasks_analysis(
    make_schedule: Any, make_task: Any, alice: Any, team: Any, queues: Any
) -> None:
    text = make_task(alice, workspace=team, kind=Kind.TEXT, status=Status.COMPLETED)
    schedule = make_schedule(action="analysis", source_task=text)
    execution = services.run_now(schedule)
    assert execution.outcome == "succeeded", execution.error
    text.refresh_from_db()
    assert text.status in (Status.PENDING, Status.IN_PROGRESS)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rule": "cron", "cron": "61 * * * *"}, "cron"),
        ({"rule": "cron", "cron": "0 9 * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({"rule": "interval", "interval_seconds": "30"}, "interval_seconds"),
        ({"rule": "once", "run_at": "2020-01-01T09:00"}, "run_at"),
        ({"rule": "hourly"}, "rule"),
        ({"rule": "cron", "cron": "0 9 * * *", "priority": "soon"}, "priority"),
        ({"rule": "cron", "cron": "0 9 * * *", "action": "analysis"}, "source_task"),
    ],
)
def test_it_refuses_a_bad_schedule(alice: Any, team: Any, data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.save_schedule(alice, {"name": "S", **data}, workspace=team)
    assert field in caught.value.message_dict


def test_the_assignee_must_be_a_member(alice: Any, charlie: Any, team: Any) -> None:
    data = {"name": "S", "rule": "cron", "cron": "0 9 * * *", "assignee": str(charlie.pk)}
    with pytest.raises(ValidationError) as caught:
        services.save_schedule(alice, data, workspace=team)
    assert "assignee" in caught.value.message_dict


def test_a_viewer_cannot_add_a_schedule(dave: Any, team: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.save_schedule(
            dave, {"name": "S", "rule": "cron", "cron": "0 9 * * *"}, workspace=team
        )


def test_it_reads_a_once_time_in_the_schedules_zone(alice: Any, team: Any) -> None:
    schedule = services.save_schedule(
        alice,
        {"name": "S", "rule": "once", "run_at": "2099-01-01T09:00", "timezone": "Asia/Tehran"},
        workspace=team,
    )
    assert schedule.next_run_at == at("2099-01-01T05:30")


def test_the_job_skips_a_slot_of_a_deleted_or_changed_schedule(make_schedule: Any) -> None:
    from tasks_app.schedules import jobs

    schedule = make_schedule(next_run_at=timezone.now() - timedelta(seconds=1))
    stale = (schedule.next_run_at - timedelta(hours=1)).isoformat()
    assert jobs.run_due(schedule.pk, stale) == "skipped"
    assert jobs.run_due(schedule.pk, schedule.next_run_at.isoformat()) == "succeeded"
    pk = schedule.pk
    schedule.delete()
    assert jobs.run_due(pk, timezone.now().isoformat()) == "skipped"
