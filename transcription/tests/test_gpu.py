"""The CUDA path: `make test-gpu` on a host with an NVIDIA GPU (scripts/gpu-check.sh runs it).

Each test fails on a wrong result rather than skipping: a run where CUDA, cuBLAS or NVML is
missing is a failed run. The same readings without NVML: tests/test_monitoring.py.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tasks_app.models import Attempt, Status
from tasks_app.services import load_result
from transcription import engine, monitoring
from transcription.models import WorkerProcess
from transcription.services import enqueue_task
from transcription.tests.conftest import (
    assert_jfk,
    status_of,
    subprocess_env,
    wait_for,
    worker_readings,
)
from transcription.tests.test_transcribe_piece import WORKERS as PIECE_WORKERS
from transcription.tests.test_transcribe_piece import speech_185s  # noqa: F401 (fixture)
from transcription.tests.test_transcription_worker import start_worker  # noqa: F401 (fixture)

pytestmark = pytest.mark.gpu

VRAM_LINE = r"\[{stage}\] VRAM \(GPU 0\): \d+MB / \d+MB \(\d+\.\d%\) \| GPU Utilization: \d+\.\d%"


@pytest.fixture
def on_gpu(settings: Any) -> None:
    settings.MODEL_DEVICE = "cuda"
    settings.MODEL_DEVICE_INDEX = 0
    settings.MODEL_COMPUTE_TYPE = ""


def test_it_sees_the_gpu_through_cuda_and_nvml() -> None:
    assert engine.cuda_device_count() >= 1
    assert monitoring.gpu_count() == engine.cuda_device_count()
    assert monitoring.gpu_name(0)
    assert re.fullmatch(r"\d+\.\d+(\.\d+)*", monitoring.driver_version() or "")


def test_it_reads_memory_and_load_through_nvml() -> None:
    reading = monitoring.read_gpu(0)

    assert reading is not None
    assert reading.index == 0
    assert 1024 < reading.total_mb < 1024 * 1024
    assert 0 < reading.used_mb <= reading.total_mb
    assert 0.0 <= reading.utilization <= 100.0
    # An index NVML does not know reads as nothing, not as an error.
    assert monitoring.read_gpu(99) is None
    assert monitoring.gpu_name(99) is None


def test_it_loads_the_cublas_wheel_that_ctranslate2_opens_by_name() -> None:
    libraries = engine.load_cuda_libraries()

    # make test-gpu installed requirements-gpu.txt into the venv: the wheel's copy is the one used.
    assert [path.name for path in libraries] == list(engine.CUBLAS_LIBRARIES)
    assert all(path.is_file() and "site-packages" in str(path) for path in libraries)
    ctypes.CDLL("libcublas.so.12")
    mapped = Path("/proc/self/maps").read_text()
    assert str(libraries[-1]) in mapped


@pytest.mark.parametrize("batched", [False, True], ids=["sequential", "batched"])
def test_it_transcribes_on_the_pinned_gpu_in_float16(
    on_gpu: None, jfk_flac: Path, batched: bool
) -> None:
    options = engine.Options(model_name="tiny.en", batched=batched, vad_filter=batched)
    result = engine.transcribe(jfk_flac, options)

    assert_jfk(result["text"])
    run = result["run"]
    assert (run["device"], run["device_index"], run["compute_type"]) == ("cuda", 0, "float16")
    assert run["gpu_name"] == monitoring.gpu_name(0)


def test_it_logs_vram_and_utilisation(on_gpu: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        monitoring.log_resources("Task start", gpu_index=0)

    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert re.fullmatch(r"\[Task start\] RAM: \d+MB / \d+MB \(\d+\.\d%\)", lines[0])
    assert re.fullmatch(VRAM_LINE.format(stage="Task start"), lines[1])


def test_it_warns_when_vram_is_above_the_threshold(
    on_gpu: None, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.VRAM_WARNING_THRESHOLD = 0.0
    with caplog.at_level(logging.INFO, logger="transcription.monitoring"):
        monitoring.log_resources("Task start", gpu_index=0)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert re.fullmatch(
        r"\[Task start\] VRAM use on GPU 0 \d+\.\d% is above the 0% warning threshold",
        warnings[0],
    )


@pytest.mark.django_db(transaction=True)
def test_it_publishes_vram_to_metrics_and_readiness(
    on_gpu: None, queues: Any, settings: Any, client: Client
) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    found, ready = worker_readings("gpu-host.1", client)
    samples = {sample.name: sample for sample in found}
    reading = monitoring.read_gpu(0)
    assert reading is not None
    total = samples["writers_worker_vram_total_bytes"]
    assert (total.labels["gpu"], total.value) == ("0", reading.total_mb * monitoring.MB)
    assert 0 < samples["writers_worker_vram_used_bytes"].value <= total.value
    assert 0.0 <= samples["writers_worker_gpu_utilization_ratio"].value <= 1.0
    assert ready["checks"]["workers"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_job_on_the_gpu(on_gpu: None, file_task: Any, drain: Any) -> None:
    task = file_task()
    enqueue_task(task.pk)

    drain()

    assert status_of(task) == Status.COMPLETED
    assert Attempt.objects.get(task=task).device.startswith("cuda:0")


@pytest.mark.django_db(transaction=True)
def test_it_pins_a_supervised_worker_to_the_gpu_given(
    file_task: Any, queues: Any, tmp_path: Path
) -> None:
    task = file_task()
    enqueue_task(task.pk)
    log = tmp_path / "worker.log"
    # MODEL_DEVICE=cpu as on a mixed host: --gpu alone moves the worker process onto GPU 0.
    env = subprocess_env(ENABLE_RESOURCE_MONITORING="1", WORKER_LOG_LEVEL="INFO")
    supervisor = subprocess.Popen(
        [sys.executable, "manage.py", "transcription_worker", "--gpu", "0", "--queues", "media"],
        cwd=django_settings.BASE_DIR,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(
            lambda: (
                status_of(task) in (Status.COMPLETED, Status.FAILED)
                or supervisor.poll() is not None
            ),
            timeout=180,
        )
    finally:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(supervisor.pid, signal.SIGKILL)
    output = log.read_text()
    sys.stdout.write(output)

    assert status_of(task) == Status.COMPLETED
    name = re.escape(monitoring.gpu_name(0) or "")
    assert Attempt.objects.get(task=task).device == f"cuda:0 ({monitoring.gpu_name(0)})"
    assert re.search(rf"Loaded model tiny\.en from .* on cuda:0 \({name}\) \(float16\)", output)
    assert re.search(VRAM_LINE.format(stage="Task completed"), output)


@pytest.mark.django_db(transaction=True)
def test_it_spreads_a_long_recording_over_the_gpus(
    file_task: Any,
    start_worker: Any,  # noqa: F811
    speech_185s: Path,  # noqa: F811
) -> None:
    # Issue 18: the pieces of one long recording go to every idle worker, and with --gpu one
    # worker runs on each card given; a one-GPU host runs both on GPU 0.
    gpus = list(range(min(2, engine.cuda_device_count())))
    start_worker("--gpu", ",".join(map(str, gpus)), "--concurrency", "2", **PIECE_WORKERS)
    wait_for(lambda: WorkerProcess.objects.count() == 2, timeout=180)
    devices = dict(WorkerProcess.objects.values_list("name", "device"))
    task = file_task(speech_185s)
    enqueue_task(task.pk)

    wait_for(lambda: status_of(task) in (Status.COMPLETED, Status.FAILED), timeout=180)

    task.refresh_from_db()
    assert task.status == Status.COMPLETED, task.error_message
    pieces = load_result(task)["run"]["pieces"]
    assert pieces["count"] == 4
    assert len(set(pieces["workers"])) == 2
    used = {devices[name].split(" ")[0] for name in pieces["workers"]}
    assert used == {f"cuda:{gpu}" for gpu in gpus}
