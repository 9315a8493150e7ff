"""`manage.py cuda_check`: what a GPU worker on this host would see, and a stop where no GPU is."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_it_stops_at_once_without_a_cuda_device() -> None:
    # CUDA_VISIBLE_DEVICES="" hides every GPU from CUDA, so this means the same on a GPU host.
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    for flags in ([], ["--devices-only"]):
        finished = subprocess.run(
            [sys.executable, "manage.py", "cuda_check", *flags],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

        assert finished.returncode == 1
        assert finished.stdout == ""
        assert finished.stderr.startswith("CommandError: No CUDA device: CTranslate2 sees 0")
