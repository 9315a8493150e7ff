"""Probe an audio file with PyAV in a child process: `python -m tasks_app.probe PATH MAX_SECONDS`.

Demuxers parse untrusted bytes, so the web process never opens an upload itself: this module runs
in a subprocess that caps its own address space and is killed by the parent after a timeout. It
prints one JSON object: `{"ok": true, "duration": …, "format": …, "codec": …}` or
`{"ok": false, "code": …, "message": …}`. It imports no Django so it starts fast.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
# A stream that ends this much before its header says it should was cut off in transit.
TRUNCATION_TOLERANCE = 0.9
DECODE_CHECK_PACKETS = 50


def refuse(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": message}


def probe(path: str, max_seconds: float) -> dict[str, Any]:
    import av

    try:
        container = av.open(path, metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        return refuse(
            "not_audio",
            "The file could not be read as audio: it is not a recording, or it is damaged or "
            "incomplete.",
        )
    with container:
        streams = container.streams.audio
        if not streams:
            return refuse("no_audio_stream", "The file holds no audio.")
        stream = streams[0]
        declared = _declared_duration(container, stream)
        if declared is not None and declared > max_seconds:
            return _too_long(declared, max_seconds)
        end = 0.0
        decoded = 0
        try:
            for index, packet in enumerate(container.demux(stream)):
                if packet.pts is not None and packet.time_base is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
                # Decoding every packet would cost as much as transcribing; the first ones
                # prove the codec data is real, demuxing to the end proves the file is whole.
                if index < DECODE_CHECK_PACKETS and packet.size:
                    decoded += len(packet.decode())
        except (av.FFmpegError, ValueError) as error:
            return refuse(
                "corrupt_audio", f"The recording is damaged and cannot be decoded ({error})."
            )
        if decoded == 0 or end <= 0:
            return refuse("corrupt_audio", "The recording holds no audio that can be decoded.")
        if declared is not None and end < declared * TRUNCATION_TOLERANCE:
            return refuse(
                "truncated_audio",
                f"The recording is cut off: it ends at {end:.1f} s of the {declared:.1f} s "
                "its header announces. Upload the complete file.",
            )
        if container.format.name == "wav" and _wav_is_short(path):
            return refuse(
                "truncated_audio",
                "The recording is cut off: the file is shorter than its header announces. "
                "Upload the complete file.",
            )
        duration = declared if declared is not None else end
        if duration > max_seconds:
            return _too_long(duration, max_seconds)
        return {
            "ok": True,
            "duration": round(duration, 3),
            "format": container.format.name,
            "codec": stream.codec_context.name,
        }


def _declared_duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _wav_is_short(path: str) -> bool:
    # FFmpeg derives a WAV's duration from the bytes present, so the RIFF size is the only
    # record of how long the file was meant to be. Streamed WAVs write 0 or 0xFFFFFFFF there.
    with open(path, "rb") as file:
        header = file.read(8)
        file.seek(0, 2)
        actual = file.tell()
    if len(header) < 8 or header[:4] != b"RIFF":
        return False
    riff_size = int.from_bytes(header[4:8], "little")
    if riff_size in (0, 0xFFFFFFFF):
        return False
    return actual < (riff_size + 8) * TRUNCATION_TOLERANCE


def _too_long(duration: float, max_seconds: float) -> dict[str, Any]:
    return refuse(
        "audio_too_long",
        f"The recording lasts {_human(duration)}; the limit is {_human(max_seconds)}.",
    )


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def main(argv: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    print(json.dumps(probe(argv[1], float(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
