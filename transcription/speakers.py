"""Automatic speaker labels: who speaks when, for a recording whose number of speakers is given.

Resemblyzer's GE2E speaker encoder (a mel front end, a 3-layer LSTM and a projection), re-done in
numpy so workers need no torch: its weights ship in the `resemblyzer` package, installed without
its dependencies (requirements-nodeps.txt) and read here with an unpickler that builds nothing
but arrays. Speech regions are cut into 1.5 s windows every 0.5 s, each window becomes a voice
embedding, k-means groups them into the given number of speakers, and every segment (or every
word, when there are word timestamps) goes to the speaker whose windows cover it most.

Measured in SPEAKERS-FACTS.md: 1.6–3 % diarization error on two voices, under 1 s of CPU per
minute of audio with one BLAS thread. The labels are a starting point for the editor, never
final; the count cannot be estimated reliably, so the user gives it.
"""

from __future__ import annotations

import importlib.metadata
import pickle
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

SAMPLE_RATE = 16000
# Resemblyzer's hparams: 40 mel bands over 25 ms windows every 10 ms.
N_FFT = 400
HOP = 160
N_MELS = 40
HIDDEN = 256
LAYERS = 3
# Its preprocessing raises quiet recordings to -30 dBFS (never lowers loud ones).
TARGET_DBFS = -30.0
INT16_MAX = 2**15 - 1
WINDOW_SECONDS = 1.5
HOP_SECONDS = 0.5
# Windows shorter than this carry too little voice to embed.
MIN_WINDOW_SECONDS = 0.4
# Windows per LSTM batch: bounds the work arrays at about 20 MB whatever the recording's length
# (measured: 41 MiB peak growth with the weights, against 117 MiB at 64; the same CPU time).
BATCH = 32
RESTARTS = 10
SEED = 0
MAX_SPEAKERS = 10
WEIGHTS_PACKAGE = "resemblyzer"


class SpeakerError(Exception):
    """Labelling is impossible for a reason the user can read (`message`)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Turn:
    """A stretch of audio attributed to one cluster (not yet a speaker name)."""

    start: float
    end: float
    cluster: int


def weights_path() -> Path:
    """pretrained.pt inside the installed `resemblyzer` distribution (never imported: the
    package itself needs torch)."""
    try:
        files = importlib.metadata.files(WEIGHTS_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "pretrained.pt":
            path = Path(str(file.locate()))
            if path.is_file():
                return path
    raise SpeakerError(
        "Speaker labelling is not installed on this server (the resemblyzer weights are "
        "missing: pip install --no-deps -r requirements-nodeps.txt)."
    )


class _Storage:
    def __init__(self, key: str, numel: int) -> None:
        self.key = key
        self.numel = numel


class _Tensor:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...]) -> None:
        self.storage = storage
        self.offset = offset
        self.size = size


def _rebuild_tensor(
    storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _Tensor:
    # Every tensor in the file is contiguous; a strided view would need more than a reshape.
    expected = tuple(int(np.prod(size[i + 1 :])) for i in range(len(size)))
    if tuple(stride) != expected:
        raise pickle.UnpicklingError("a non-contiguous tensor in the weights file")
    return _Tensor(storage, offset, tuple(size))


class _WeightsUnpickler(pickle.Unpickler):
    """Reads torch's legacy checkpoint format and refuses every class but the three it uses:
    a pickle can otherwise run any code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("torch", "FloatStorage"):
            return "float32"
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid: Any) -> _Storage:
        kind, dtype, key, _location, numel, _view = pid
        if kind != "storage" or dtype != "float32":
            raise pickle.UnpicklingError(f"unexpected storage {pid!r}")
        return _Storage(str(key), int(numel))


def load_weights(path: Path) -> dict[str, np.ndarray]:
    """The encoder's state dict as float32 arrays, from torch's legacy (pre-zip) format:
    three small pickles, the object pickle with storages as persistent ids, the sorted list of
    storage keys, then each storage as an int64 element count and its raw little-endian data."""
    with path.open("rb") as source:
        for _header in range(3):  # magic number, protocol version, system info
            _WeightsUnpickler(source).load()
        checkpoint = _WeightsUnpickler(source).load()
        keys = _WeightsUnpickler(source).load()
        data: dict[str, np.ndarray] = {}
        for key in keys:
            count = int(np.frombuffer(source.read(8), dtype="<i8")[0])
            data[key] = np.frombuffer(source.read(4 * count), dtype="<f4")
    state = checkpoint["model_state"]
    weights: dict[str, np.ndarray] = {}
    for name, tensor in state.items():
        if not name.startswith(("lstm.", "linear.")):
            continue
        flat = data[tensor.storage.key]
        size = int(np.prod(tensor.size))
        weights[name] = flat[tensor.offset : tensor.offset + size].reshape(tensor.size).copy()
    return weights


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # tanh form: no overflow warnings for large negative inputs, and faster than exp.
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


class Encoder:
    """GE2E: LSTM(40→256)×3, the last layer's final hidden state → linear(256) → ReLU → L2."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.layers = [
            (
                np.ascontiguousarray(weights[f"lstm.weight_ih_l{n}"].T),
                np.ascontiguousarray(weights[f"lstm.weight_hh_l{n}"].T),
                weights[f"lstm.bias_ih_l{n}"] + weights[f"lstm.bias_hh_l{n}"],
            )
            for n in range(LAYERS)
        ]
        self.linear_t = np.ascontiguousarray(weights["linear.weight"].T)
        self.linear_bias = weights["linear.bias"]

    def embed(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) mel power spectra → (batch, 256) unit vectors."""
        x = mels.astype(np.float32)
        batch, frames, _ = x.shape
        h = np.zeros((batch, HIDDEN), dtype=np.float32)
        for w_ih, w_hh, bias in self.layers:
            inputs = x @ w_ih + bias
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            outputs = np.empty((batch, frames, HIDDEN), dtype=np.float32)
            for t in range(frames):
                gates = inputs[:, t] + h @ w_hh
                # PyTorch's gate order: input, forget, cell, output.
                i = _sigmoid(gates[:, :HIDDEN])
                f = _sigmoid(gates[:, HIDDEN : 2 * HIDDEN])
                g = np.tanh(gates[:, 2 * HIDDEN : 3 * HIDDEN])
                o = _sigmoid(gates[:, 3 * HIDDEN :])
                c = f * c + i * g
                h = o * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        raw = np.maximum(h @ self.linear_t + self.linear_bias, 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        return raw / np.maximum(norms, 1e-12)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    # Slaney's scale (librosa's default): linear to 1 kHz, logarithmic above.
    hz = np.asarray(hz, dtype=np.float64)
    mels = hz / (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    above = hz >= 1000.0
    mels[above] = 15.0 + np.log(hz[above] / 1000.0) / log_step
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    mels = np.asarray(mels, dtype=np.float64)
    hz = mels * (200.0 / 3)
    log_step = np.log(6.4) / 27.0
    above = mels >= 15.0
    hz[above] = 1000.0 * np.exp(log_step * (mels[above] - 15.0))
    return hz


def mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40) with Slaney normalisation."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    mel_freqs = _mel_to_hz(
        np.linspace(
            _hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([SAMPLE_RATE / 2]))[0], N_MELS + 2
        )
    )
    widths = np.diff(mel_freqs)
    ramps = mel_freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    filters = np.maximum(0.0, np.minimum(lower, upper))
    filters *= (2.0 / (mel_freqs[2 : N_MELS + 2] - mel_freqs[:N_MELS]))[:, None]
    return filters.astype(np.float32)


_FILTERS = mel_filters()
# A periodic Hann window, as librosa's stft uses.
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


# Frames per FFT batch: the whole of a long recording at once would need gigabytes.
MEL_CHUNK_FRAMES = 6000


def mel_spectrogram(audio: np.ndarray) -> np.ndarray:
    """(frames, 40) mel power spectrum, one frame per 10 ms centred on it (librosa's
    melspectrogram with centre padding by reflection, as Resemblyzer's version used)."""
    padded = np.pad(audio.astype(np.float32, copy=False), N_FFT // 2, mode="reflect")
    count = 1 + (len(padded) - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        padded, shape=(count, N_FFT), strides=(padded.strides[0] * HOP, padded.strides[0])
    )
    mel = np.empty((count, N_MELS), dtype=np.float32)
    for first in range(0, count, MEL_CHUNK_FRAMES):
        chunk = frames[first : first + MEL_CHUNK_FRAMES] * _WINDOW
        power = (np.abs(np.fft.rfft(chunk, axis=1)) ** 2).astype(np.float32)
        mel[first : first + MEL_CHUNK_FRAMES] = power @ _FILTERS.T
    return mel


def volume_gain(audio: np.ndarray) -> float:
    """The factor Resemblyzer's preprocessing applies to the samples: up to -30 dBFS, never
    down."""
    squares = sum(
        float(np.dot(part.astype(np.float64), part.astype(np.float64)))
        for part in np.array_split(audio, max(1, len(audio) // 1_000_000))
    )
    rms = np.sqrt(squares / max(len(audio), 1)) * INT16_MAX
    if rms <= 0:
        return 1.0
    change = TARGET_DBFS - 20 * np.log10(rms / INT16_MAX)
    return 1.0 if change < 0 else float(10 ** (change / 20))


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The encoder of this process, loaded once (0.1 s, about 100 MB with its work arrays)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = Encoder(load_weights(weights_path()))
        return _encoder


def windows(regions: Sequence[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """1.5 s windows every 0.5 s over each speech region; a shorter region is one window."""
    spans: list[tuple[float, float]] = []
    for start, end in regions:
        start, end = max(0.0, start), min(duration, end)
        if end - start < MIN_WINDOW_SECONDS:
            continue
        if end - start <= WINDOW_SECONDS:
            spans.append((start, end))
            continue
        offset = start
        while offset + WINDOW_SECONDS < end:
            spans.append((offset, offset + WINDOW_SECONDS))
            offset += HOP_SECONDS
        spans.append((end - WINDOW_SECONDS, end))
    return spans


def embed_windows(audio: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """(len(spans), 256) voice embeddings. Windows of one length share a batch."""
    # The spectrum is power: scaling it by the gain squared is scaling the samples.
    mel = mel_spectrogram(audio) * np.float32(volume_gain(audio) ** 2)
    encoder = get_encoder()
    embeddings = np.zeros((len(spans), HIDDEN), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    firsts = []
    for index, (start, end) in enumerate(spans):
        first = int(round(start * SAMPLE_RATE / HOP))
        length = max(1, min(int(round((end - start) * SAMPLE_RATE / HOP)), len(mel) - first))
        firsts.append(first)
        by_length.setdefault(length, []).append(index)
    for length, indices in by_length.items():
        for chunk in range(0, len(indices), BATCH):
            part = indices[chunk : chunk + BATCH]
            batch = np.stack([mel[firsts[i] : firsts[i] + length] for i in part])
            embeddings[part] = encoder.embed(batch)
    return embeddings


def _squared_distances(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
    # Expanded, not broadcast: (n, k) memory instead of (n, k, 256) on a three-hour recording.
    return np.maximum(
        (points**2).sum(1)[:, None] - 2 * points @ centres.T + (centres**2).sum(1)[None], 0.0
    )


def kmeans(points: np.ndarray, k: int, *, restarts: int = RESTARTS, seed: int = SEED) -> np.ndarray:
    """Cluster labels 0..k-1: k-means++ starts, the best of `restarts` by inertia, seeded so
    the same recording always gets the same labels."""
    rng = np.random.default_rng(seed)
    best_labels = np.zeros(len(points), dtype=int)
    best_inertia = np.inf
    for _restart in range(restarts):
        centres = points[[rng.integers(len(points))]]
        for _ in range(1, k):
            nearest = _squared_distances(points, centres).min(axis=1)
            total = nearest.sum()
            pick = rng.choice(len(points), p=nearest / total) if total > 0 else 0
            centres = np.vstack([centres, points[pick]])
        labels = np.full(len(points), -1)
        for _iteration in range(100):
            new_labels = _squared_distances(points, centres).argmin(axis=1)
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
            for cluster in range(k):
                members = points[labels == cluster]
                if len(members):
                    centres[cluster] = members.mean(axis=0)
        inertia = float(((points - centres[labels]) ** 2).sum())
        if inertia < best_inertia:
            best_inertia, best_labels = inertia, labels
    return best_labels


def turns(audio: np.ndarray, regions: Sequence[tuple[float, float]], speakers: int) -> list[Turn]:
    """Each speech window with the cluster of its voice; the expensive part (about 1 s of CPU
    per minute of audio). Raises SpeakerError when there is too little speech to compare."""
    if not 1 <= speakers <= MAX_SPEAKERS:
        raise SpeakerError(f"The number of speakers must be between 1 and {MAX_SPEAKERS}.")
    spans = windows(regions, len(audio) / SAMPLE_RATE)
    if not spans:
        raise SpeakerError("No speech was found in the recording to tell speakers apart.")
    if speakers == 1 or len(spans) < speakers:
        return [Turn(start, end, 0) for start, end in spans]
    # OpenBLAS's threads spin on these small matrices: one thread costs a tenth of the CPU
    # time on a busy 2-core machine (0.9 s instead of 10 s per minute of audio).
    with threadpool_limits(limits=1, user_api="blas"):
        embeddings = embed_windows(audio, spans)
    # Centred, the clusters differ by voice instead of all sharing the encoder's mean direction;
    # back on the unit sphere, k-means compares directions (cosine), as the encoder was trained.
    # Measured on espeak-ng voices: never worse than centring alone, 13/13 turns instead of 11/13
    # on an English and a German voice.
    centred = embeddings - embeddings.mean(axis=0)
    centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
    labels = kmeans(centred, speakers)
    return [Turn(start, end, int(label)) for (start, end), label in zip(spans, labels, strict=True)]


def _cluster_at(start: float, end: float, found: Sequence[Turn]) -> int | None:
    """The cluster whose windows overlap [start, end] most; the nearest window's cluster when
    none overlaps (a word in a pause the VAD left out); None without windows."""
    scores: dict[int, float] = {}
    for turn in found:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > 0:
            scores[turn.cluster] = scores.get(turn.cluster, 0.0) + overlap
    if scores:
        return max(scores, key=lambda cluster: (scores[cluster], -cluster))
    if not found:
        return None
    middle = (start + end) / 2
    return min(found, key=lambda turn: abs((turn.start + turn.end) / 2 - middle)).cluster


def assign(segments: Sequence[dict[str, Any]], found: Sequence[Turn]) -> list[str | None]:
    """A speaker name per segment: by its words' majority (weighted by duration) when it has
    word timestamps, else by its own span. Names are "Speaker 1", "Speaker 2"… in order of
    first appearance."""
    clusters: list[int | None] = []
    for segment in segments:
        votes: dict[int, float] = {}
        for word in segment.get("words") or []:
            cluster = _cluster_at(float(word["start"]), float(word["end"]), found)
            if cluster is not None:
                length = max(float(word["end"]) - float(word["start"]), 0.01)
                votes[cluster] = votes.get(cluster, 0.0) + length
        if votes:
            clusters.append(max(votes, key=lambda cluster: (votes[cluster], -cluster)))
        else:
            clusters.append(_cluster_at(float(segment["start"]), float(segment["end"]), found))
    names: dict[int, str] = {}
    for cluster in clusters:
        if cluster is not None and cluster not in names:
            names[cluster] = f"Speaker {len(names) + 1}"
    return [names[cluster] if cluster is not None else None for cluster in clusters]
