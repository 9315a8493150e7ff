"""The task fixtures of tasks_app/tests, for this feature's tests."""

from tasks_app.tests.conftest import api, audio_files, make_task, result, upload  # noqa: F401
