"""A worker process imports what transcribing needs, not the libraries of exports and analytics:
those load in the jobs that use them, and every worker would otherwise carry them for ever."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from django.conf import settings

# `manage.py transcription_worker --child` as the supervisor starts it, up to the point where the
# worker would load its model and take jobs (the jobs module RQ imports for the first job too).
STARTUP = """
import json, sys
import django
django.setup()
from django.core.management import ManagementUtility
from transcription import worker

def work(*args, **kwargs):
    import transcription.jobs
    print(json.dumps(sorted(sys.modules)))

worker.work = work
ManagementUtility(["manage.py", "transcription_worker", "--child"]).execute()
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
    "markdown",
    "markdown_it",
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
    # The admin modules and the views (and through them every app's services) load with the
    # web's URLs only: not through admin's autodiscovery, nor the system checks.
    ours = [name for name in modules if name.split(".")[0] in ("accounts", "tasks_app", "writers")]
    assert [name for name in ours if name.endswith((".admin", ".views", ".urls"))] == []
