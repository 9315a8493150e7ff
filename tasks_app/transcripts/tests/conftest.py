"""The task fixtures of tasks_app/tests, and a completed transcription to edit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from accounts.models import User
from tasks_app.models import Kind, Status, Task
from tasks_app.tests.conftest import api, make_task, result  # noqa: F401

# Three segments with word timings on the first, a speaker on the others.
TRANSCRIPT = {
    "task_id": "t",
    "partial": False,
    "text": "And so my fellow Americans, ask not what your country can do for you. Thank you.",
    "language": "en",
    "language_probability": 0.97,
    "duration": 11.0,
    "confidence": 0.9,
    "segments": [
        {
            "id": 0,
            "start": 0.0,
            "end": 4.0,
            "text": " And so my fellow Americans,",
            "avg_logprob": -0.2,
            "words": [
                {"start": 0.0, "end": 0.5, "word": " And", "probability": 0.9},
                {"start": 0.5, "end": 1.0, "word": " so", "probability": 0.9},
                {"start": 1.0, "end": 1.5, "word": " my", "probability": 0.9},
                {"start": 2.0, "end": 2.5, "word": " fellow", "probability": 0.9},
                {"start": 3.0, "end": 4.0, "word": " Americans,", "probability": 0.9},
            ],
        },
        {
            "id": 1,
            "start": 4.5,
            "end": 9.0,
            "text": " ask not what your country can do for you.",
            "speaker": "Speaker 1",
        },
        {"id": 2, "start": 9.5, "end": 11.0, "text": " Thank you.", "speaker": "Speaker 2"},
    ],
    "run": {"model": "tiny.en"},
}


@pytest.fixture
def transcribed(make_task: Callable[..., Task], alice: User) -> Callable[..., Task]:  # noqa: F811
    """`transcribed()` is alice's completed transcription of TRANSCRIPT; fields override."""

    def make(user: User | None = None, **fields: Any) -> Task:
        fields.setdefault("status", Status.COMPLETED)
        fields.setdefault("kind", Kind.TRANSCRIPTION)
        return make_task(user or alice, result=fields.pop("result", TRANSCRIPT), **fields)

    return make
