from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from transcription import engine, formats


class Command(BaseCommand):
    help = "Transcribe an audio file with the engine and print the result."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--model", default="", help="model name or directory (MODEL_NAME)")
        parser.add_argument("--format", default="txt", choices=sorted(formats.RENDERERS))
        parser.add_argument("--language", default="", help="language code; empty detects it")
        parser.add_argument("--translate", action="store_true", help="translate into English")
        parser.add_argument("--beam-size", type=int, default=5)
        parser.add_argument("--vad", action="store_true", help="skip silence (VAD filter)")
        parser.add_argument("--word-timestamps", action="store_true")
        parser.add_argument("--batched", action="store_true")
        parser.add_argument(
            "--channels",
            default="auto",
            choices=("auto", "split", "mix"),
            help="stereo: one speaker per channel (split), mono mix (mix), or measured (auto)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        opts = engine.Options(
            model_name=options["model"] or settings.MODEL_NAME,
            language=options["language"] or None,
            task="translate" if options["translate"] else "transcribe",
            beam_size=options["beam_size"],
            vad_filter=options["vad"],
            word_timestamps=options["word_timestamps"],
            batched=options["batched"],
            channels=options["channels"],
        )
        try:
            result = engine.transcribe(options["file"], opts)
        except engine.EngineError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        self.stdout.write(formats.render(result, options["format"]), ending="")
        run = result["run"]
        self.stderr.write(
            f"{result['duration']:.1f}s of {result['language']} audio in {run['wall_seconds']}s "
            f"({run['real_time_factor']}x) with {run['model']} on {run['device']}"
        )
