"""The cast every test shares: alice owns, bob is another user, charlie is a stranger."""

from __future__ import annotations

import os
import subprocess
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
# A few sentences each for espeak-ng: non-English speech to test the multilingual model on.
SPEECH = {
    "de": (
        "Guten Morgen. Heute ist das Wetter in Berlin sehr schön. Ich trinke einen Kaffee und "
        "lese die Zeitung. Am Nachmittag gehe ich mit meinem Hund in den Park."
    ),
    "fa": (
        "سلام. امروز هوا در تهران خیلی خوب است. من یک فنجان چای می نوشم و روزنامه می خوانم. "
        "بعد از ظهر با دوستانم به پارک می رویم."
    ),
}


def make_user(**kwargs: Any) -> User:
    name = kwargs.pop("name", "alice")
    kwargs.setdefault("email", f"{name}@example.org")
    kwargs.setdefault("username", name)
    password = kwargs.pop("password", PASSWORD)
    return User.objects.create_user(password=password, **kwargs)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On SQLite (`make test-sqlite`) the test database is a file beside the real one: Django's
    default, a shared in-memory database, is not what `make run` uses, and the worker threads
    of the transactional tests need a database every connection opens the same way."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = Path(database["NAME"]).with_name("test_writers.sqlite3")
        database.setdefault("TEST", {})["NAME"] = str(name)


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
def dave(db: Any) -> User:
    """A viewer in alice's team workspace (see `team`)."""
    return make_user(name="dave")


@pytest.fixture
def team(alice: User, bob: User, dave: User) -> Any:
    """A shared workspace: alice is its admin, bob an editor, dave a viewer; charlie is not a
    member. Tasks made with `make_task(alice, workspace=team)` are the team's."""
    from tasks_app.workspaces.models import Membership, Role, Workspace

    workspace = Workspace.objects.create(name="Newsroom", created_by=alice)
    for user, role in ((alice, Role.ADMIN), (bob, Role.EDITOR), (dave, Role.VIEWER)):
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return workspace


@pytest.fixture
def staff(db: Any) -> User:
    return make_user(name="sam", is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def _storage_root(settings: Any, tmp_path: Any) -> None:
    """Each test gets its own STORAGE_ROOT so files never leak between tests."""
    settings.STORAGE_ROOT = tmp_path / "storage"
    settings.STORAGE_ROOT.mkdir()


@pytest.fixture
def s3(settings: Any) -> str:
    """STORAGE_BACKEND=s3 on the real object store scripts/services.py started (SeaweedFS), under
    a key prefix of this test's own, so tests never see each other's objects."""
    import uuid

    if not os.environ.get("S3_ENDPOINT_URL"):
        pytest.fail("No object store: run the tests through scripts/services.py (make test).")
    settings.STORAGE_BACKEND = "s3"
    for name in ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        setattr(settings, name, os.environ[name])
    settings.S3_REGION = os.environ.get("S3_REGION", "us-east-1")
    settings.S3_PREFIX = f"test-{uuid.uuid4().hex}"
    return "s3"


@pytest.fixture(params=["local", "s3"])
def backend(request: Any) -> str:
    """Each backend in turn: the test runs once on files under STORAGE_ROOT, once on S3."""
    return request.getfixturevalue("s3") if request.param == "s3" else "local"


@pytest.fixture
def s3_down(s3: str, settings: Any) -> Any:
    """Call it to make the object store unreachable from then on: S3_ENDPOINT_URL at a closed
    port, with a short connect timeout (the store itself keeps running for other tests)."""
    from scripts.services import free_port

    def down() -> None:
        settings.S3_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
        settings.S3_CONNECT_TIMEOUT_SECONDS = 0.2

    return down


@pytest.fixture(autouse=True)
def _no_browser_loop(request: Any) -> Iterator[None]:
    """Playwright's sync API (the session's browser of e2e/) leaves its event loop marked as
    running in the main thread, after which Django's test client cannot call an async view
    (asgiref's AsyncToSync refuses). Tests outside e2e/ never drive the browser: the mark is
    lifted for them and put back after, around the test's database (see
    pytest_collection_modifyitems)."""
    import asyncio

    if request.node.nodeid.startswith("e2e/"):
        yield
        return
    loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(loop)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`_no_browser_loop` just before pytest-django's `_django_db_marker` (a plugin's autouse
    fixture, otherwise set up first): while a loop is marked as running, Django's `connections`
    hands out a connection of the asyncio context instead of the thread's (asgiref's
    thread-critical Local). A `django_db`-marked test run after a browser test in the same
    process (as pytest-xdist's processes do) began its transaction on the one while its
    fixtures and body wrote on the other, in autocommit: committed, for the tests after."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names and {"_no_browser_loop", "_django_db_marker"} <= set(names):
            names.remove("_no_browser_loop")
            names.insert(names.index("_django_db_marker"), "_no_browser_loop")


def in_a_rolled_back_transaction(item: pytest.Item) -> bool:
    """Whether pytest-django runs `item` inside a transaction it rolls back after (a `db` or
    `django_db` test, not a transactional one)."""
    from pytest_django.plugin import validate_django_db

    names = set(getattr(item, "fixturenames", ()))
    marker = item.get_closest_marker("django_db")
    if marker is None and "db" not in names:
        return False
    transactional = marker is not None and any(validate_django_db(marker)[:2])
    return not transactional and not names & {
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
    }


def check_in_transaction(item: pytest.Item, what: str) -> None:
    """Fail `item` when the connection its code uses is not inside its test transaction: what it
    wrote was committed and stays for the tests after it (as UniqueViolation on the cast)."""
    from django.db import connection

    if not connection.in_atomic_block:
        pytest.fail(
            f"{item.nodeid}: {what} ran outside the test's transaction (the connection in use "
            "is in autocommit): its rows are committed and outlive the test",
            pytrace=False,
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """A test that pytest-django runs in a transaction must still be in it after its fixtures
    and after its body (an attribute read, no query)."""
    guarded = in_a_rolled_back_transaction(item)
    if guarded:
        check_in_transaction(item, "its fixtures")
    result = yield
    if guarded:
        check_in_transaction(item, "its body")
    return result


@pytest.fixture(autouse=True)
def _test_model(settings: Any) -> None:
    """tiny.en is the fast English model the tests transcribe with, sequentially: tests that
    stop a job midway need its per-window partials (the batched default: test_engine_batched).
    Recordings are transcribed whole, never in pieces over idle workers (test_pieces)."""
    settings.MODEL_NAME = "tiny.en"
    settings.BATCHED_LONG_SECONDS = 0
    settings.CHUNK_MIN_SECONDS = 0


@pytest.fixture(autouse=True)
def _fresh_eta_schedule() -> None:
    """The queue schedule a process keeps for ETA_CACHE_SECONDS must not cross tests."""
    from transcription.services import forget_eta_schedule

    forget_eta_schedule()


@pytest.fixture
def jfk_flac() -> Path:
    assert JFK_FLAC.exists(), f"test audio missing: {JFK_FLAC} (set WRITERS_SHARED_DIR)"
    return JFK_FLAC


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """About ten seconds of synthetic German and Persian speech, as WAV files by language.
    Persian at 160 words a minute: espeak-ng's Persian at its default speed is detected as
    Persian with only half the certainty."""
    directory = tmp_path_factory.mktemp("speech")
    found = {}
    for language, text in SPEECH.items():
        found[language] = directory / f"{language}.wav"
        speed = ["-s", "160"] if language == "fa" else []
        subprocess.run(
            ["espeak-ng", "-v", language, *speed, "-w", str(found[language]), text],
            check=True,
            timeout=60,
        )
    return found


@pytest.fixture(scope="session")
def base_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The multilingual base model, assembled from its packages once per session."""
    from transcription import engine

    return engine.assemble_base(tmp_path_factory.mktemp("models") / "base")


@pytest.fixture
def base_model(settings: Any, base_model_dir: Path) -> Iterator[str]:
    """The production default model for this test, found in STORAGE_ROOT as a deployment
    keeps it (assembling its 145 MB in every test's fresh STORAGE_ROOT would cost seconds)."""
    from transcription import engine

    models = settings.STORAGE_ROOT / "models"
    models.mkdir(exist_ok=True)
    (models / "base").symlink_to(base_model_dir, target_is_directory=True)
    settings.MODEL_NAME = "base"
    yield "base"
    # Each test's copy has its own path, so the process would keep one loaded model per test.
    engine.unload_models()


@pytest.fixture
def queues() -> Iterator[dict[str, Any]]:
    """The real RQ queues, on an emptied queue database before and after, so no test sees
    another's jobs, workers or published metrics."""
    found = {name: django_rq.get_queue(name) for name in ("media", "default")}
    found["media"].connection.flushdb()
    yield found
    found["media"].connection.flushdb()


@pytest.fixture
def asgi_server() -> Iterator[str]:
    """The web as deployed (writers.asgi under uvicorn, one worker) on a free loopback port, in a
    thread of the test process so it sees the test database; yields its base URL. Tests using it
    need `django_db(transaction=True)`."""
    import threading
    import time

    import uvicorn
    from django.db import connections

    from writers.asgi import application

    # Every request's sync code runs in a thread of its own; a persistent connection per thread
    # would be left open and keep the test database from being dropped.
    config = connections.settings["default"]
    saved = config["CONN_MAX_AGE"]
    config["CONN_MAX_AGE"] = 0
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)
    config["CONN_MAX_AGE"] = saved


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """A Persian page request leaves Persian active in the thread (LocaleMiddleware activates and
    never deactivates); a later test that renders text must start in the default language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashes() -> Any:
    """bcrypt at its production cost takes 0.3 s a hash, and nearly every test creates its cast
    and signs someone in: at the lowest cost the suite runs minutes faster. The hashes are still
    bcrypt_sha256 and carry their cost, so gunicorn and worker subprocesses (production cost)
    check them as they are and upgrade them at sign-in as they would a real older hash."""
    from django.contrib.auth.hashers import BCryptSHA256PasswordHasher, get_hashers

    production = BCryptSHA256PasswordHasher.rounds
    BCryptSHA256PasswordHasher.rounds = 4
    get_hashers.cache_clear()
    yield
    BCryptSHA256PasswordHasher.rounds = production
    get_hashers.cache_clear()
