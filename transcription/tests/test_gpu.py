"""The CUDA path: run with `make test-gpu` on a machine with an NVIDIA GPU."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pytest

from tasks_app.models import Attempt, Status
from transcription import engine, monitoring, worker
from transcription.services import enqueue_task
from transcription.tests.conftest import assert_jfk, status_of

pytestmark = pytest.mark.gpu


@pytest.fixture
def on_gpu(settings: Any) -> None:
    settings.MODEL_DEVICE = "cuda"
    settings.MODEL_DEVICE_INDEX = 0
    settings.MODEL_COMPUTE_TYPE = ""


def test_it_sees_the_gpu_through_cuda_and_nvml() -> None:
    assert engine.cuda_device_count() >= 1
    assert monitoring.gpu_count() == engine.cuda_device_count()
    assert monitoring.gpu_name(0)


def test_it_transcribes_on_the_pinned_gpu_in_float16(on_gpu: None, jfk_flac: Path) -> None:
    result = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en"))

    assert_jfk(result["text"])
    run = result["run"]
    assert (run["device"], run["device_index"], run["compute_type"]) == ("cuda", 0, "float16")
    assert run["gpu_name"] == monitoring.gpu_name(0)


def test_it_logs_vram_and_utilisation(on_gpu: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        monitoring.log_resources("Task start", gpu_index=0)

    lines = [r.getMessage() for r in caplog.records]
    assert re.fullmatch(r"\[Task start\] RAM: \d+MB / \d+MB \(\d+\.\d%\)", lines[0])
    assert re.fullmatch(
        r"\[Task start\] VRAM \(GPU 0\): \d+MB / \d+MB \(\d+\.\d%\) \| GPU Utilization: \d+\.\d%",
        lines[1],
    )


def test_it_pins_each_worker_process_to_one_gpu() -> None:
    slots = worker.plan_slots(0, [0])
    env = worker.child_env(slots[0])

    assert len(slots) == 1
    assert (env["CUDA_DEVICE_ORDER"], env["MODEL_DEVICE"], env["MODEL_DEVICE_INDEX"]) == (
        "PCI_BUS_ID",
        "cuda",
        "0",
    )


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_job_on_the_gpu(on_gpu: None, file_task: Any, drain: Any) -> None:
    task = file_task()
    enqueue_task(task.pk)

    drain()

    assert status_of(task) == Status.COMPLETED
    assert Attempt.objects.get(task=task).device.startswith("cuda:0")
