"""What Writers keeps of a video besides its transcript: metadata, a thumbnail, the sound track.

PyAV only (it bundles FFmpeg): the JPEG is encoded with FFmpeg's MJPEG encoder, so no imaging
library is needed. Every writer goes through a temporary file and a rename
(tasks_app.storage.atomic_write), so readers never see half a file.
"""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path
from typing import Any

from tasks_app import storage
from tasks_app.probe import picture_stream

THUMBNAIL_WIDTH = 320
# The first frames are often black (fade-in, encoder warm-up): take one a little later.
THUMBNAIL_AT_SECONDS = 1.0
THUMBNAIL_AT_FRACTION = 0.1
SAMPLE_RATE = 16000
FLAC_FRAME_SAMPLES = 4096


class NoPicture(Exception):  # noqa: N818 (a fact, not a failure)
    """The file has no video stream to take a thumbnail from."""


def _rate(value: Any) -> float | None:
    return round(float(value), 3) if value else None


def video_metadata(path: Path) -> dict[str, Any]:
    """Container, duration, resolution, codecs and frame rate, as read from the headers."""
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        video = picture_stream(container)
        audio = container.streams.audio[0] if container.streams.audio else None
        metadata: dict[str, Any] = {
            "container": container.format.name,
            "duration": round(container.duration / 1_000_000, 3) if container.duration else None,
            "bit_rate": container.bit_rate or None,
            "size_bytes": path.stat().st_size,
            "has_audio": audio is not None,
            "video": None,
            "audio": None,
        }
        if video is not None:
            context = video.codec_context
            metadata["video"] = {
                "codec": context.name,
                "codec_long_name": context.codec.long_name,
                "width": context.width,
                "height": context.height,
                "resolution": f"{context.width}x{context.height}",
                "frame_rate": _rate(video.average_rate or video.guessed_rate),
                "pixel_format": context.pix_fmt,
                "frames": video.frames or None,
                "bit_rate": context.bit_rate or None,
            }
        if audio is not None:
            context = audio.codec_context
            metadata["audio"] = {
                "codec": context.name,
                "codec_long_name": context.codec.long_name,
                "sample_rate": context.sample_rate,
                "channels": context.channels,
                "layout": context.layout.name if context.layout else None,
                "bit_rate": context.bit_rate or None,
            }
    return metadata


def write_thumbnail(path: Path, target: Path, width: int = THUMBNAIL_WIDTH) -> dict[str, Any]:
    """A JPEG of one early frame, `width` pixels wide; raises NoPicture for a sound-only file."""
    import av

    with av.open(str(path), metadata_errors="ignore") as container:
        stream = picture_stream(container)
        if stream is None:
            raise NoPicture
        duration = container.duration / 1_000_000 if container.duration else 0.0
        offset = min(THUMBNAIL_AT_SECONDS, duration * THUMBNAIL_AT_FRACTION)
        if offset > 0 and stream.time_base:
            # Seeking lands on the key frame before the offset; good enough for a still.
            container.seek(int(offset / stream.time_base), stream=stream)
        frame = next(iter(container.decode(stream)), None)
        if frame is None:
            raise NoPicture
    width = min(width, frame.width) // 2 * 2
    height = max(2, round(width * frame.height / frame.width / 2) * 2)
    picture = frame.reformat(width=width, height=height, format="yuvj420p")
    picture.pts = 0
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    data = b"".join(bytes(packet) for packet in [*encoder.encode(picture), *encoder.encode(None)])
    with storage.atomic_write(target) as temporary:
        temporary.write_bytes(data)
    return {"width": width, "height": height, "bytes": len(data), "content_type": "image/jpeg"}


def write_normalized_audio(samples: Any, target: Path) -> dict[str, Any]:
    """16 kHz mono 16-bit FLAC of decoded samples (float32 in -1..1, as the engine decodes)."""
    import av
    import numpy as np

    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    with (
        storage.atomic_write(target) as temporary,
        av.open(str(temporary), "w", format="flac") as output,
    ):
        stream = output.add_stream("flac", rate=SAMPLE_RATE, layout="mono")
        for start in range(0, len(pcm), FLAC_FRAME_SAMPLES):
            chunk = pcm[start : start + FLAC_FRAME_SAMPLES].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE
            frame.pts = start
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return {
        "format": "flac",
        "sample_rate": SAMPLE_RATE,
        "channels": 1,
        "duration": round(len(pcm) / SAMPLE_RATE, 3),
        "bytes": target.stat().st_size,
        "sha256": sha256_of(target),
    }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
