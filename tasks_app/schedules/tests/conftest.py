"""Fixtures for the schedules tests: signed-in API clients, tasks, and `make_schedule`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.schedules.models import Schedule
from tasks_app.tests.conftest import api, make_task  # noqa: F401


@pytest.fixture
def make_schedule(team: Any) -> Callable[..., Schedule]:
    """`make_schedule(**fields)`: a to-do schedule in the team workspace made by alice, every
    hour from an hour ago unless told otherwise, its next slot `next_run_at` as given (or the
    first slot after now)."""

    def make(**fields: Any) -> Schedule:
        fields.setdefault("workspace", team)
        fields.setdefault("created_by", fields["workspace"].memberships.get(role="admin").user)
        fields.setdefault("name", "Standup")
        fields.setdefault("title", "Standup %Y-%m-%d %H:%M")
        fields.setdefault("rule", "interval")
        fields.setdefault("interval_seconds", 3600)
        fields.setdefault("run_at", timezone.now() - timedelta(hours=1))
        fields.setdefault("next_run_at", fields["run_at"] + timedelta(hours=2))
        return Schedule.objects.create(**fields)

    return make


@pytest.fixture
def page() -> Callable[..., Client]:
    """`page(alice)`: a browser-like client signed in as alice; `page(alice, "fa")` in Persian."""

    def client_for(user: User, language: str = "en") -> Client:
        client = Client()
        client.cookies["access_token"] = issue_tokens(user)[0]
        client.cookies["django_language"] = language
        return client

    return client_for
