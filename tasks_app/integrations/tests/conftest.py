"""These tests came from accounts/tests: they use its clients and its empty cache."""

from accounts.tests.conftest import _empty_cache, browser, script  # noqa: F401
from tasks_app.integrations.tests.test_webhooks import receiver  # noqa: F401
from tasks_app.tests.conftest import api, make_task, result  # noqa: F401
