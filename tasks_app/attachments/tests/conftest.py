"""The task fixtures of tasks_app/tests, a shared task to attach to, and files to attach."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.attachments import services
from tasks_app.attachments.models import Attachment
from tasks_app.models import Status, Task
from tasks_app.tests.conftest import api, make_task  # noqa: F401

NOTES = b"Agenda\n\n1. Budget\n2. Hiring plan for the newsroom\n"


def a_file(name: str = "notes.txt", content: bytes = NOTES, content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def shared_task(make_task: Callable[..., Task], alice: User, team: Any) -> Task:  # noqa: F811
    """alice's finished recording in the team workspace (bob edits, dave views)."""
    return make_task(alice, file=True, status=Status.COMPLETED, workspace=team)


@pytest.fixture
def attach() -> Callable[..., Attachment]:
    """`attach(task, user, name, content)` stores an attachment through the service."""

    def make(task: Task, user: User, name: str = "notes.txt", content: bytes = NOTES) -> Attachment:
        return services.add_attachment(task, user, a_file(name, content))

    return make


@pytest.fixture
def page() -> Callable[[User], Client]:
    """`page(alice)`: a browser-like client signed in as alice (pages use the cookie)."""

    def client_for(user: User) -> Client:
        client = Client()
        client.cookies["access_token"] = issue_tokens(user)[0]
        return client

    return client_for
