"""RAM (psutil) and GPU memory and utilisation (NVML) at the moments a task changes phase.

Lines look like `[Task start] RAM: 4096MB / 16384MB (25.0%)` and
`[Task start] VRAM (GPU 0): 2048MB / 8192MB (25.0%) | GPU Utilization: 15.0%`; a reading above
RAM_WARNING_THRESHOLD or VRAM_WARNING_THRESHOLD is logged as a warning. Without NVML or a GPU only
RAM is logged.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

import psutil
from django.conf import settings

logger = logging.getLogger(__name__)

MB = 1024 * 1024

_nvml_lock = threading.Lock()
_nvml_ready: bool | None = None


@dataclass(frozen=True)
class GpuReading:
    index: int
    used_mb: int
    total_mb: int
    utilization: float

    @property
    def fraction(self) -> float:
        return self.used_mb / self.total_mb if self.total_mb else 0.0


def _nvml() -> Any | None:
    """The initialised pynvml module, or None where there is no driver or no library."""
    global _nvml_ready
    with _nvml_lock:
        if _nvml_ready is None:
            try:
                import pynvml

                pynvml.nvmlInit()
                _nvml_ready = True
            except Exception:  # NVMLError_LibraryNotFound, DriverNotLoaded, ImportError...
                _nvml_ready = False
        if not _nvml_ready:
            return None
    import pynvml

    return pynvml


def gpu_count() -> int:
    nvml = _nvml()
    if nvml is None:
        return 0
    try:
        return int(nvml.nvmlDeviceGetCount())
    except nvml.NVMLError:
        return 0


def gpu_name(index: int) -> str | None:
    nvml = _nvml()
    if nvml is None:
        return None
    try:
        name = nvml.nvmlDeviceGetName(nvml.nvmlDeviceGetHandleByIndex(index))
    except nvml.NVMLError:
        return None
    return name.decode() if isinstance(name, bytes) else str(name)


def driver_version() -> str | None:
    nvml = _nvml()
    if nvml is None:
        return None
    try:
        version = nvml.nvmlSystemGetDriverVersion()
    except nvml.NVMLError:
        return None
    return version.decode() if isinstance(version, bytes) else str(version)


def read_gpu(index: int) -> GpuReading | None:
    nvml = _nvml()
    if nvml is None:
        return None
    try:
        handle = nvml.nvmlDeviceGetHandleByIndex(index)
        memory = nvml.nvmlDeviceGetMemoryInfo(handle)
        utilization = nvml.nvmlDeviceGetUtilizationRates(handle)
    except nvml.NVMLError:
        return None
    return GpuReading(index, memory.used // MB, memory.total // MB, float(utilization.gpu))


def ram_line(stage: str) -> tuple[str, float]:
    memory = psutil.virtual_memory()
    used = memory.total - memory.available
    fraction = used / memory.total
    return (
        f"[{stage}] RAM: {used // MB}MB / {memory.total // MB}MB ({fraction * 100:.1f}%)",
        fraction,
    )


def gpu_line(stage: str, reading: GpuReading) -> str:
    return (
        f"[{stage}] VRAM (GPU {reading.index}): {reading.used_mb}MB / {reading.total_mb}MB "
        f"({reading.fraction * 100:.1f}%) | GPU Utilization: {reading.utilization:.1f}%"
    )


def log_resources(stage: str, *, gpu_index: int | None = None) -> None:
    """Log RAM, and the GPU's memory and load when the work runs on GPU `gpu_index`."""
    if not settings.ENABLE_RESOURCE_MONITORING:
        return
    line, fraction = ram_line(stage)
    logger.info(line)
    if fraction > settings.RAM_WARNING_THRESHOLD:
        logger.warning(
            "[%s] RAM use %.1f%% is above the %.0f%% warning threshold",
            stage,
            fraction * 100,
            settings.RAM_WARNING_THRESHOLD * 100,
        )
    if gpu_index is None:
        return
    reading = read_gpu(gpu_index)
    if reading is None:
        return
    logger.info(gpu_line(stage, reading))
    if reading.fraction > settings.VRAM_WARNING_THRESHOLD:
        logger.warning(
            "[%s] VRAM use on GPU %d %.1f%% is above the %.0f%% warning threshold",
            stage,
            gpu_index,
            reading.fraction * 100,
            settings.VRAM_WARNING_THRESHOLD * 100,
        )
