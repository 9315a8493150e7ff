"""The task fixtures of tasks_app/tests, and tags in alice's team workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.tags.models import Tag
from tasks_app.tests.conftest import api, make_task  # noqa: F401

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def make_tag() -> Callable[..., Tag]:
    def make(workspace: Any, name: str, color: str = "#16a34a") -> Tag:
        return Tag.objects.create(workspace=workspace, name=name, color=color)

    return make


@pytest.fixture
def page() -> Callable[[User], Client]:
    """`page(alice)`: a browser-like client signed in as alice (the pages' cookie)."""

    def client_for(user: User) -> Client:
        client = Client()
        client.cookies["access_token"] = issue_tokens(user)[0]
        return client

    return client_for
