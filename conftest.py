"""The cast every test shares: alice owns, bob is another user, charlie is a stranger."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django_rq
import pytest

from accounts.models import User

PASSWORD = "correct horse battery staple"
SHARED_DIR = Path(os.environ.get("WRITERS_SHARED_DIR", Path(__file__).parent.parent / "shared"))
JFK_FLAC = SHARED_DIR / "audio" / "jfk.flac"
JFK_TEXT = (SHARED_DIR / "audio" / "jfk.txt").read_text().strip() if JFK_FLAC.exists() else ""


def make_user(**kwargs: Any) -> User:
    name = kwargs.pop("name", "alice")
    kwargs.setdefault("email", f"{name}@example.org")
    kwargs.setdefault("username", name)
    password = kwargs.pop("password", PASSWORD)
    return User.objects.create_user(password=password, **kwargs)


@pytest.fixture
def alice(db: Any) -> User:
    return make_user(name="alice", full_name="Alice Owner")


@pytest.fixture
def bob(db: Any) -> User:
    return make_user(name="bob")


@pytest.fixture
def charlie(db: Any) -> User:
    return make_user(name="charlie")


@pytest.fixture
def staff(db: Any) -> User:
    return make_user(name="sam", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _storage_root(settings: Any, tmp_path: Any) -> None:
    """Each test gets its own STORAGE_ROOT so files never leak between tests."""
    settings.STORAGE_ROOT = tmp_path / "storage"
    settings.STORAGE_ROOT.mkdir()


@pytest.fixture(autouse=True)
def _test_model(settings: Any) -> None:
    """tiny.en is the fast English model the tests transcribe with."""
    settings.MODEL_NAME = "tiny.en"


@pytest.fixture(autouse=True)
def _fresh_eta_schedule() -> None:
    """The queue schedule a process keeps for ETA_CACHE_SECONDS must not cross tests."""
    from transcription.services import forget_eta_schedule

    forget_eta_schedule()


@pytest.fixture
def jfk_flac() -> Path:
    assert JFK_FLAC.exists(), f"test audio missing: {JFK_FLAC} (set WRITERS_SHARED_DIR)"
    return JFK_FLAC


@pytest.fixture
def queues() -> Iterator[dict[str, Any]]:
    """The real RQ queues, on an emptied queue database before and after, so no test sees
    another's jobs, workers or published metrics."""
    found = {name: django_rq.get_queue(name) for name in ("media", "default")}
    found["media"].connection.flushdb()
    yield found
    found["media"].connection.flushdb()
