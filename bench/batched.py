"""Batched or sequential decoding for long audio: speed and word error rate on realistic speech.

Run with `make bench-batched` (BATCHED_ARGS="--device cuda" on a GPU host). On every clip of
bench/speech_clips.py (minutes of espeak-ng voices in several languages with pauses, and
jfk.flac among them) it transcribes with `transcription.engine.transcribe` as a worker would
(the production `base` model unless --model says otherwise, language left to the engine: it
detects one per stretch of speech, so both modes decode each stretch in the same language):
sequential (the engine's automatic choice turned off) and batched (BatchedInferencePipeline,
the engine's batch size, with the VAD it needs), in turn, and the order flips from clip to
clip so neither always runs on the warmer or quieter machine. Each run: wall seconds, real-time
factor, WER against the clip's reference (bench/speech_clips.words says how text is
normalised) and the 1-minute load average when it started.

The rule (`batched_wins`): batched is the default for long audio on a device only if it is
faster on every clip and its WER is at most WER_TOLERANCE above sequential's on every clip.
The verdict is printed and written with the figures to bench/RESULTS.md's section
"Batched or sequential: the decision" (one paragraph per device, the other device's kept); the
engine reads it from the BATCHED_DEVICES setting, whose default follows the measured verdict.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import speech_clips  # noqa: E402 (after the path above)
from bench.results import read_section, write_section  # noqa: E402

AUDIO = Path(os.environ.get("WRITERS_SHARED_DIR", ROOT.parent / "shared")) / "audio"
HEADING = "## Batched or sequential: the decision"
WER_TOLERANCE = 0.01


@dataclass
class Run:
    clip: str
    batched: bool
    audio_seconds: float
    wall_seconds: float
    wer: float
    load: float
    # This process's CPU seconds: on a shared machine, steadier than the wall clock.
    cpu_seconds: float = 0.0

    @property
    def speed(self) -> float:
        return self.audio_seconds / self.wall_seconds


def batched_wins(runs: list[Run]) -> bool:
    """True when, on every clip measured, batched is faster than sequential and its WER is at
    most WER_TOLERANCE above it. No clip measured is no evidence: False."""
    clips = {run.clip for run in runs}
    if not clips:
        return False
    for clip in clips:
        sequential = [r for r in runs if r.clip == clip and not r.batched]
        batched = [r for r in runs if r.clip == clip and r.batched]
        if not sequential or not batched:
            return False
        if max(r.wall_seconds for r in batched) >= min(r.wall_seconds for r in sequential):
            return False
        if max(r.wer for r in batched) > min(r.wer for r in sequential) + WER_TOLERANCE:
            return False
    return True


def measure(model: str, device: str, clips: list[str]) -> list[Run]:
    os.environ["MODEL_DEVICE"] = device
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ENABLE_RESOURCE_MONITORING", "0")
    import django

    django.setup()
    from django.conf import settings

    from transcription import engine

    jfk_text = (AUDIO / "jfk.txt").read_text().strip()
    engine.get_model(model)
    runs = []
    for number, clip in enumerate(clips):
        path, reference = speech_clips.build(clip, AUDIO / "jfk.flac", jfk_text)
        audio_seconds = len(engine.decode(path)) / engine.SAMPLE_RATE
        for batched in (False, True) if number % 2 == 0 else (True, False):
            # Sequential means sequential: the engine's own choice for long audio is off.
            settings.BATCHED_DEVICES = ["cpu", "cuda"] if batched else []
            load = os.getloadavg()[0]
            started, cpu = time.perf_counter(), time.process_time()
            result = engine.transcribe(path, engine.Options(model_name=model, batched=batched))
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            wer = speech_clips.word_error_rate(reference, result["text"])
            # Kept beside the clip, to read what each decoder made of it.
            mode = "batched" if batched else "sequential"
            (speech_clips.CACHE / f"{clip}-{mode}.txt").write_text(result["text"] + "\n")
            runs.append(Run(clip, batched, audio_seconds, wall, wer, load, cpu))
            print(
                f"{clip:8} {mode:10} {wall:7.1f} s "
                f"(CPU {cpu:6.1f} s) "
                f"{audio_seconds / wall:5.1f}x real time  WER {wer:.3f}  load {load:.2f}  "
                f"languages {','.join(result['languages'])}",
                flush=True,
            )
    return runs


def render(runs: list[Run], device: str, model: str, batch_size: int) -> str:
    wins = batched_wins(runs)
    cpu = f"{os.cpu_count()} CPU cores, {platform.processor() or platform.machine()}"
    lines = [
        f"### {device.upper()}",
        "",
        f"`make bench-batched` ({model}, {device}, {cpu}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC). Verdict: "
        + (
            f"**batched** for long audio on {device} (faster on every clip, WER within "
            f"{WER_TOLERANCE} of sequential or better)."
            if wins
            else f"**sequential** on {device} (batched is slower or its WER is more than "
            f"{WER_TOLERANCE} worse on at least one clip)."
        ),
        "",
        "| clip | length | mode | wall | CPU | real time | WER | load average (1 min) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        mode = f"batched (batch {batch_size}, VAD)" if run.batched else "sequential"
        lines.append(
            f"| {run.clip} | {run.audio_seconds:.0f} s | {mode} | {run.wall_seconds:.1f} s | "
            f"{run.cpu_seconds:.1f} s | "
            f"{run.speed:.1f}x | {run.wer:.3f} | {run.load:.2f} |"
        )
    return "\n".join(lines)


INTRO = f"""{HEADING}

Which decoder the engine uses for a long recording (longer than `BATCHED_LONG_SECONDS`, default
60 s: two of Whisper's 30 s windows) when the task did not ask for batched decoding. Measured by
`make bench-batched` (bench/batched.py) on clips built by bench/speech_clips.py, the same
samples every run: *english* (30 sentences by six espeak-ng English voices, 140-185 words a
minute, pitches 35-60, as a meeting and a story, with jfk.flac twice) and *mixed* (English,
German, French, Spanish and Persian in turn by two voices each, jfk.flac in the middle).
Between sentences 0.3-1.2 s of pause, one in seven a 2-4 s one, a third to a half of them low
noise instead of silence. Language: not set, as for most uploads; the engine detects one per
stretch of speech (`language_plan`) and both decoders get the same stretches and languages.
WER: jiwer over words lower-cased, Unicode-normalised, accents and punctuation dropped, Arabic
and Persian spellings of one letter unified. The rule: batched becomes a device's default for
long audio only if it is faster on every clip and its WER is at most {WER_TOLERANCE} above
sequential's on every clip; the engine reads the verdict from `BATCHED_DEVICES` (README).
The figures were taken on a machine shared with other work: the load average is beside each.
"""


def write_results(section: str, device: str) -> None:
    """RESULTS.md's decision section with this device's paragraph replaced, others kept."""
    kept = [
        "### " + part.strip()
        for part in read_section(HEADING).split("\n### ")[1:]
        if not part.startswith(device.upper())
    ]
    devices = sorted([*kept, section], key=lambda part: part.split("\n", 1)[0])
    write_section(HEADING, INTRO + "\n" + "\n\n".join(devices) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="base")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--clips", default=",".join(speech_clips.CLIPS))
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    args = parser.parse_args()
    runs = measure(args.model, args.device, args.clips.split(","))
    from transcription import engine

    section = render(runs, args.device, args.model, engine.Options().batch_size)
    print(f"\n{section}")
    if not args.no_write:
        write_results(section, args.device)


if __name__ == "__main__":
    main()
