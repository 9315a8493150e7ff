"""The CUDA libraries a GPU worker needs, checked on any host: what CTranslate2 itself asks the
loader for, what requirements-gpu.txt installs, and where engine.load_cuda_libraries looks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ctranslate2
import pytest
from django.conf import settings

from transcription import engine


def ctranslate2_library() -> bytes:
    folder = Path(ctranslate2.__file__).parent.parent / "ctranslate2.libs"
    (library,) = folder.glob("libctranslate2-*.so*")
    return library.read_bytes()


def test_it_installs_exactly_the_cuda_libraries_ctranslate2_opens() -> None:
    # The wheel links the CUDA runtime statically and dlopen()s the rest by name: these names
    # are the whole list. A CTranslate2 upgrade that wants another cuBLAS, or cuDNN again, fails
    # here instead of on the first GPU host.
    opened = set(re.findall(rb"lib(?:cu|nv)[a-zA-Z_]*\.so[.0-9]*", ctranslate2_library()))
    assert opened == {b"libcublas.so.12", b"libcuda.so.1"}  # libcuda: the driver's own

    pins = (settings.BASE_DIR / "requirements-gpu.txt").read_text().split()
    assert [pin.split("==")[0] for pin in pins if "==" in pin] == ["nvidia-cublas-cu12"]
    assert engine.CUBLAS_LIBRARIES[-1] == "libcublas.so.12"
    # The GPU image installs the same file, not pins of its own.
    assert (
        "pip install --no-cache-dir -r requirements-gpu.txt"
        in (settings.BASE_DIR / "Dockerfile").read_text()
    )


def test_it_finds_the_cublas_wheel_on_the_import_path(tmp_path: Path) -> None:
    wheel = tmp_path / "site-packages" / "nvidia" / "cublas" / "lib"
    wheel.mkdir(parents=True)
    (wheel / "libcublas.so.12").write_bytes(b"")
    (tmp_path / "other" / "nvidia" / "cublas" / "lib").mkdir(parents=True)

    search = [str(tmp_path / "other"), str(tmp_path / "site-packages"), str(tmp_path / "gone")]
    assert engine.cuda_library_dirs(search) == [wheel]
    assert engine.cuda_library_dirs([str(tmp_path / "other")]) == []


def test_it_refuses_a_gpu_this_host_does_not_have(settings: Any) -> None:
    settings.MODEL_DEVICE = "cuda"
    settings.MODEL_DEVICE_INDEX = 99

    with pytest.raises(engine.ModelUnavailable) as raised:
        engine.get_model("tiny.en")

    assert raised.value.message == (
        "The model should run on GPU 99 (MODEL_DEVICE=cuda, MODEL_DEVICE_INDEX=99) but this "
        f"host has {engine.cuda_device_count()} CUDA device(s)."
    )
