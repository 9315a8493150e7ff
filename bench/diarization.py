"""Speaker labelling benchmark (issue 15): diarization error, CPU time and memory of automatic
speaker labels, on a two-minute recording of two espeak-ng voices taking turns (en-us, a male
voice, and en+f3, a female one: synthetic voices, the only ones a benchmark can make offline).

- Diarization error (DER): the share of true speech time whose label is wrong or missing under
  the best matching of labels to voices, with a 0.25 s collar either side of every turn change
  (transcription.tests.voices.diarization_error). Measured twice: on the speech regions the VAD
  finds (the labeller's own output) and on the segments of a real transcript (tiny.en with word
  timestamps, each segment labelled by its words), which is what a user sees.
- CPU seconds per minute of audio: process time of the VAD, and of embeddings + k-means, with
  one BLAS thread as in the workers.
- Memory: the process's peak RSS growth over the labelling (encoder weights, work arrays),
  measured first in the process, before any Whisper model is loaded.
- Words unchanged: the same file transcribed with and without labels; segments and words must
  be identical apart from `speaker` (labelling never makes a transcript worse).

`make bench` runs it as part of bench/run.py; alone (no database needed):
`.venv/bin/python bench/diarization.py` prints the table and writes bench/DIARIZATION.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "DIARIZATION.md"
COLLAR = 0.25
# (section, measure, value, note): bench/run.py turns them into its rows.
Line = tuple[str, str, str, str]


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(seconds: float = 120.0, model: str = "tiny.en") -> list[Line]:
    from transcription import engine, speakers
    from transcription.tests.voices import conversation, diarization_error

    directory = Path(tempfile.mkdtemp(prefix="writers-diarization-"))
    path = directory / "two-voices.wav"
    truth = conversation(path, ("en-us", "en+f3"), seconds=seconds)
    audio = engine.decode(path)
    minutes = len(audio) / 16000 / 60
    section = f"speaker labels, en-us + en+f3 ({minutes * 60:.0f} s, {len(truth)} turns)"

    rss_before = _peak_rss_mib()
    cpu = time.process_time()
    regions = engine.speech_regions(audio)
    vad_cpu = time.process_time() - cpu
    rss_vad = _peak_rss_mib()
    cpu = time.process_time()
    found = speakers.turns(audio, regions, 2)
    label_cpu = time.process_time() - cpu
    rss_growth = _peak_rss_mib() - rss_vad
    region_segments = [{"start": start, "end": end} for start, end in regions]
    for segment, name in zip(region_segments, speakers.assign(region_segments, found), strict=True):
        segment["speaker"] = name
    region_der = diarization_error(truth, region_segments, collar=COLLAR)

    options = engine.Options(model_name=model, word_timestamps=True, language="en")
    plain = engine.transcribe(path, options)
    options.speakers = 2
    labelled = engine.transcribe(path, options)
    transcript_der = diarization_error(truth, labelled["segments"], collar=COLLAR)

    def unlabelled(result: dict) -> list[dict]:
        return [{k: v for k, v in s.items() if k != "speaker"} for s in result["segments"]]

    same = unlabelled(plain) == unlabelled(labelled) and plain["text"] == labelled["text"]
    # The hard case, for honesty: two of espeak-ng's male voices, one synthesiser.
    close = directory / "two-male-voices.wav"
    close_truth = conversation(close, ("en-us", "en-gb-scotland"), seconds=seconds)
    close_audio = engine.decode(close)
    close_regions = engine.speech_regions(close_audio)
    close_segments = [{"start": start, "end": end} for start, end in close_regions]
    close_found = speakers.turns(close_audio, close_regions, 2)
    for segment, name in zip(
        close_segments, speakers.assign(close_segments, close_found), strict=True
    ):
        segment["speaker"] = name
    close_der = diarization_error(close_truth, close_segments, collar=COLLAR)
    words = sum(len(segment.get("words") or []) for segment in plain["segments"])
    return [
        (section, "DER, VAD regions", f"{region_der:.1%}", "0.25 s collar; target <= 5 %"),
        (
            section,
            f"DER, transcript segments ({model}, word timestamps)",
            f"{transcript_der:.1%}",
            "0.25 s collar; what the user sees",
        ),
        (
            section,
            "CPU per minute of audio",
            f"{label_cpu / minutes:.2f} s + VAD {vad_cpu / minutes:.2f} s",
            "embeddings + k-means, 1 BLAS thread",
        ),
        (
            section,
            "peak RSS growth",
            f"{rss_growth:.0f} MiB + VAD {rss_vad - rss_before:.0f} MiB",
            "encoder weights and work arrays; the VAD's ONNX session",
        ),
        (
            f"speaker labels, en-us + en-gb-scotland ({len(close_audio) / 16000:.0f} s, "
            f"{len(close_truth)} turns)",
            "DER, VAD regions",
            f"{close_der:.1%}",
            "0.25 s collar; two male voices of one synthesiser: hard to tell apart",
        ),
        (
            section,
            "words unchanged by labelling",
            "yes" if same else "NO",
            f"{len(plain['segments'])} segments, {words} words",
        ),
    ]


def render(lines: list[Line]) -> str:
    table = ["| what | measure | value | note |", "|---|---|---|---|"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in lines]
    return "\n".join(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ENABLE_RESOURCE_MONITORING", "0")
    import django

    django.setup()
    started = time.monotonic()
    table = render(measure(args.seconds, args.model))
    title = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {time.monotonic() - started:.0f} s"
    print(f"\nSpeaker labelling benchmark: {title}\n\n{table}")
    if not args.no_write:
        RESULTS.write_text(
            "# Speaker labelling benchmark\n\n"
            f"Produced by `.venv/bin/python bench/diarization.py` ({title}, load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); `make bench` measures the "
            "same rows within bench/RESULTS.md. How each is measured: the docstring of "
            "`bench/diarization.py`. The voices are espeak-ng's, not people: a male and a "
            "female synthetic voice are easy to tell apart, two of its male voices much "
            "less (SPEAKERS-FACTS.md has real-voice figures).\n\n"
            f"{table}\n"
        )


if __name__ == "__main__":
    main()
