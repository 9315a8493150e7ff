from __future__ import annotations

from typing import Any

import pytest

from tasks_app.announcements import _publish
from writers import metrics, queues


def connections_received(client: Any) -> int:
    return client.info("stats")["total_connections_received"]


@pytest.mark.usefixtures("queues")
def test_it_opens_no_connection_per_announcement_metric_or_queue() -> None:
    client = queues.connection()
    # Once each first, so that every client this process needs exists.
    _publish("task")
    metrics.count_attempt()
    assert queues.queue("media").count == 0
    before = connections_received(client)

    for _ in range(3):
        _publish("task")
        metrics.count_attempt()
        metrics.observe_job("tiny.en", "cpu", 0.5, 20.0)
        assert queues.queue("media").count == 0

    assert connections_received(client) == before


def test_it_gives_a_changed_setting_a_client_of_its_own(settings: Any) -> None:
    first = queues.connection("media")
    settings.RQ_QUEUES = {
        name: {**config, "SOCKET_TIMEOUT": 5} for name, config in settings.RQ_QUEUES.items()
    }

    assert queues.connection("media") is not first
    assert queues.connection("media") is queues.connection("media")
