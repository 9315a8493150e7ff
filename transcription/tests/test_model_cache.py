"""A worker holds at most MODEL_CACHE_SIZE models and lets go of the least recently used."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from transcription import engine


@pytest.fixture(autouse=True)
def _no_models() -> Iterator[None]:
    engine.unload_models()
    yield
    engine.unload_models()


def held() -> list[tuple[str, str]]:
    return [(loaded.name, loaded.compute_type) for loaded in engine.loaded_models()]


def test_it_keeps_one_model_on_the_cpu_by_default(settings: Any, base_model: str) -> None:
    settings.MODEL_DEVICE = "cpu"
    # Weak references only: the model must be freed once the cache lets go of it.
    tiny = weakref.ref(engine.get_model("tiny.en").whisper)

    engine.get_model(base_model)
    gc.collect()

    assert held() == [("base", "int8")]
    assert tiny() is None


def test_it_keeps_as_many_as_it_is_told(settings: Any, base_model: str) -> None:
    settings.MODEL_DEVICE = "cpu"
    settings.MODEL_CACHE_SIZE = 2
    tiny = engine.get_model("tiny.en")

    base = engine.get_model(base_model)

    assert held() == [("tiny.en", "int8"), ("base", "int8")]
    assert engine.get_model("tiny.en") is tiny
    assert engine.get_model(base_model) is base


def test_it_evicts_the_least_recently_used(settings: Any, base_model: str) -> None:
    settings.MODEL_DEVICE = "cpu"
    settings.MODEL_CACHE_SIZE = 2
    engine.get_model("tiny.en")
    engine.get_model(base_model)
    engine.get_model("tiny.en")
    # Another compute type is another model: the third one in.
    settings.MODEL_COMPUTE_TYPE = "float32"

    engine.get_model("tiny.en")

    assert held() == [("tiny.en", "int8"), ("tiny.en", "float32")]


def test_it_sizes_the_cache_by_free_vram_on_a_gpu(settings: Any, monkeypatch: Any) -> None:
    # NVML's reading stands in for a GPU this host may not have: 10 GiB of 24 free.
    gib = 1024 * engine.monitoring.MB
    monkeypatch.setattr(
        engine.monitoring,
        "read_gpu",
        lambda index: engine.monitoring.GpuReading(
            index=index, used_mb=14 * 1024, total_mb=24 * 1024, utilization=0
        ),
    )
    engine._footprints["large"] = 3 * gib

    try:
        assert engine.model_cache_size("cuda", 0, "large") == 3
        assert engine.model_cache_size("cpu", 0, "large") == 1
        engine._footprints["large"] = 12 * gib
        assert engine.model_cache_size("cuda", 0, "large") == 1
        settings.MODEL_CACHE_SIZE = 4
        assert engine.model_cache_size("cuda", 0, "large") == 4
    finally:
        del engine._footprints["large"]
