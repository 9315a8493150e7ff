"""The task fixtures of tasks_app/tests, for this feature's tests, and what the analytics tests
add: tasks with the figures analytics counts, and API clients signed in either way a script
can be (a JWT, or a personal API token)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.api_tokens import create_api_token
from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task
from tasks_app.tests.conftest import api, audio_files, make_task, result, upload  # noqa: F401


def transcription(user: Any, status: str = Status.COMPLETED, **fields: Any) -> Task:
    """A transcription of 2 minutes (`duration`) which, completed, took 10 s to process."""
    now = timezone.now()
    fields.setdefault("title", "Interview")
    if status == Status.COMPLETED:
        fields.setdefault("started_at", now - timedelta(seconds=10))
        fields.setdefault("completed_at", now)
    return Task.objects.create(
        user=user,
        kind=Kind.TRANSCRIPTION,
        file_path="uploads/x.flac",
        status=status,
        duration_seconds=fields.pop("duration", 120.0),
        **fields,
    )


@pytest.fixture(params=["jwt", "api_token"])
def script(request: pytest.FixtureRequest) -> Callable[[User | None], APIClient]:
    """`script(alice)`: a client sending alice's JWT, then (the test runs again) one of her
    personal API tokens, both as `Authorization: Bearer`; `script(None)` is anonymous."""

    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            if request.param == "jwt":
                secret = issue_tokens(user)[0]
            else:
                secret = create_api_token(user, "script")[1]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return client_for
