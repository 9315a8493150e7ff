"""GPU readings where there is no NVML: a CPU host, or a GPU host whose driver library is missing.

NVML is taken away by making `import pynvml` fail, so these tests mean the same on a GPU host;
tests/test_gpu.py has the readings with NVML present.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from transcription import monitoring
from transcription.tests.conftest import worker_readings


@pytest.fixture
def without_nvml(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setattr(monitoring, "_nvml_ready", None)
    yield
    # The next reader initialises NVML afresh, where there is one.
    monitoring._nvml_ready = None


def test_it_reads_no_gpu_without_nvml(without_nvml: None) -> None:
    assert monitoring.gpu_count() == 0
    assert monitoring.gpu_name(0) is None
    assert monitoring.read_gpu(0) is None
    assert monitoring.driver_version() is None


def test_it_logs_only_ram_without_nvml(
    without_nvml: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Even a GPU index and a threshold every reading exceeds give no VRAM line and no warning.
    settings.VRAM_WARNING_THRESHOLD = 0.0
    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        monitoring.log_resources("Task start", gpu_index=0)

    lines = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert len(lines) == 1
    assert lines[0][0] == logging.INFO
    assert lines[0][1].startswith("[Task start] RAM: ")


@pytest.mark.django_db(transaction=True)
def test_it_reports_a_cpu_worker_without_gpu_readings(
    without_nvml: None, queues: Any, settings: Any, client: Client
) -> None:
    settings.MODEL_DEVICE = "cpu"
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    samples, ready = worker_readings("cpu-host.1", client)
    names = {sample.name for sample in samples}
    assert {"writers_worker_ram_bytes", "writers_worker_heartbeat_age_seconds"} <= names
    assert not [name for name in names if "vram" in name or "gpu" in name]
    assert ready["checks"]["workers"]["status"] == "ok"
