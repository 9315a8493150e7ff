from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from transcription import engine, monitoring


class Command(BaseCommand):
    help = (
        "Say what a GPU worker on this host would see: CUDA devices (CTranslate2), each GPU's "
        "name and memory (NVML) and the cuBLAS it loads. Exits 1 where there is no CUDA device, "
        "so `make test-gpu` stops at once instead of passing with nothing run."
    )
    # A look at the hardware: nothing here depends on URLs, models or the database.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--devices-only",
            action="store_true",
            help="only check that a CUDA device is visible (before cuBLAS is installed)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = engine.cuda_device_count()
        nvml = monitoring.gpu_count()
        if count == 0:
            raise CommandError(
                "No CUDA device: CTranslate2 sees 0 CUDA devices and NVML "
                + (f"{nvml} GPU(s)." if nvml else "is not available (no NVIDIA driver).")
                + " Run this on a host with an NVIDIA GPU and its driver (nvidia-smi lists it)."
            )
        if options["devices_only"]:
            self.stdout.write(f"CUDA devices (CTranslate2): {count}; GPUs (NVML): {nvml}")
            return
        try:
            libraries = engine.load_cuda_libraries()
        except engine.ModelUnavailable as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"CUDA devices (CTranslate2): {count}; GPUs (NVML): {nvml}")
        for index in range(count):
            reading = monitoring.read_gpu(index)
            memory = f", {reading.used_mb} MB of {reading.total_mb} MB used" if reading else ""
            self.stdout.write(f"GPU {index}: {monitoring.gpu_name(index) or 'unknown'}{memory}")
        self.stdout.write(
            f"cuBLAS: {libraries[-1]}" if libraries else "cuBLAS: the system's (no wheel installed)"
        )
