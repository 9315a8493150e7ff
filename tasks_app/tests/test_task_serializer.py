"""TaskSerializer builds its JSON without DRF's per-field machinery (for the speed of long
lists); the answer must be exactly what DRF's own ModelSerializer.to_representation gives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from tasks_app.models import Kind, Status, Task
from tasks_app.serializers import TaskSerializer
from tasks_app.tests.conftest import RESULT
from transcription.services import eta_for_tasks

NOW = dt.datetime(2026, 3, 20, 23, 45, 30, 123456, tzinfo=dt.UTC)


@pytest.fixture
def tasks(alice: User, make_task: Callable[..., Task]) -> list[Task]:
    return [
        make_task(
            alice, title="To-do", description="Call back", due_date=NOW + dt.timedelta(days=3)
        ),
        make_task(
            alice,
            file=True,
            result=RESULT,
            status=Status.COMPLETED,
            progress=100,
            detected_language="en",
            language_probability=0.97,
            queued_at=NOW,
            started_at=NOW,
            completed_at=NOW + dt.timedelta(seconds=12),
        ),
        make_task(
            alice,
            file=True,
            status=Status.FAILED,
            error_code="decode_error",
            error_message="Not audio.",
            attempts=3,
        ),
        make_task(alice, file=True, status=Status.PENDING, queued_at=NOW),
        make_task(
            alice,
            file=True,
            kind=Kind.VIDEO,
            status=Status.PROCESSING,
            progress=40,
            thumbnail_path="results/x.jpg",
            started_at=NOW,
        ),
    ]


def drf_representation(serializer: TaskSerializer, task: Task) -> dict[str, Any]:
    return serializers.ModelSerializer.to_representation(serializer, task)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tehran", "America/St_Johns"])
def test_it_gives_what_drf_gives(tasks: list[Task], zone: str) -> None:
    context = {"etas": eta_for_tasks(tasks)}
    with timezone.override(zone):
        for task in tasks:
            task.refresh_from_db()
            serializer = TaskSerializer(task, context=context)
            assert serializer.data == drf_representation(serializer, task)


def test_it_gives_what_drf_gives_in_a_list(tasks: list[Task]) -> None:
    context = {"etas": eta_for_tasks(tasks)}
    listed = TaskSerializer(tasks, many=True, context=context).data
    single = TaskSerializer(context=context)
    assert listed == [drf_representation(single, task) for task in tasks]


def test_it_shows_times_in_the_current_zone(tasks: list[Task]) -> None:
    completed = tasks[1]
    completed.refresh_from_db()
    assert TaskSerializer(completed).data["queued_at"] == "2026-03-20T23:45:30.123456Z"
    with timezone.override("Asia/Tehran"):
        assert TaskSerializer(completed).data["queued_at"] == "2026-03-21T03:15:30.123456+03:30"


def test_it_works_out_its_fields_from_the_model_once_and_gives_each_serializer_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    TaskSerializer().fields  # noqa: B018 (the first one works them out, if none did yet)
    built: list[str] = []
    build_field = serializers.ModelSerializer.build_field

    def counted(self: Any, name: str, *args: Any) -> Any:
        built.append(name)
        return build_field(self, name, *args)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counted)
    first, second = TaskSerializer().fields, TaskSerializer().fields
    assert built == []
    assert first.keys() == second.keys()
    assert first["status"] is not second["status"] and first["status"].parent is not None
