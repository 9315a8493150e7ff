"""A worker process imports what transcribing needs, not the libraries of exports and analytics:
those load in the jobs that use them, and every worker would otherwise carry them for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

# Up to the worker's first model load: Django set up (which imports every app's admin, and so its
# services), the command, the worker and the jobs module RQ imports for the first job.
STARTUP = """
import json, sys
import django
django.setup()
from django.core.management import load_command_class
load_command_class("transcription", "transcription_worker")
import transcription.worker, transcription.jobs
print(json.dumps(sorted(sys.modules)))
"""
HEAVY = (
    "openpyxl",
    "docx",
    "pypdf",
    "yake",
    "vaderSentiment",
    "langdetect",
    "networkx",
    "nh3",
    "faster_whisper",
    "ctranslate2",
)


def test_it_starts_a_worker_without_the_heavy_libraries() -> None:
    found = subprocess.run(
        [sys.executable, "-c", STARTUP],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "writers.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = json.loads(found.stdout.splitlines()[-1])

    assert [name for name in HEAVY if name in modules] == []
