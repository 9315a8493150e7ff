"""The workspace tests use the tasks tests' API clients and task maker."""

from tasks_app.tests.conftest import api, make_task  # noqa: F401
