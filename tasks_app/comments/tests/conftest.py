"""The task fixtures of tasks_app/tests, and a task of alice's team workspace to comment on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from tasks_app.models import Task
from tasks_app.tests.conftest import api, make_task  # noqa: F401


@pytest.fixture
def team_task(alice: User, team: Any, make_task: Callable[..., Task]) -> Task:  # noqa: F811
    """alice's task in the Newsroom: bob edits there, dave views, charlie is a stranger."""
    return make_task(alice, workspace=team)
