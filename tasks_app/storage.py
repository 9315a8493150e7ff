"""Writing a stored file whole: a temporary file beside it, then a rename.

Everything written under STORAGE_ROOT (uploads being received, results and partial results,
thumbnails, normalised audio) goes through `atomic_write`, so readers never see half a file and
every temporary file is named the same recognisable way, saying who writes it:
`.<final name>.<pid>@<host>.<random>.tmp`. A process killed between writing and renaming
leaves that file behind; `transcription.leftovers` removes it once its writer is known to be
dead. (The web writes uploads and must not import transcription, hence the name, and whether its
writer lives (`writer_alive`, also asked by `tasks_app.services.purge_deleted`), live here.)
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

TEMPORARY_NAME = re.compile(
    r"\.(?P<final>.+)\.(?P<pid>\d+)@(?P<host>[A-Za-z0-9.-]+)\.[0-9a-f]+\.tmp", re.ASCII
)
# A process's start time is known to about a second (the boot time it counts from is whole
# seconds): a writer may seem to have started that much after its own file's last write.
START_TIME_SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class Writer:
    """The process writing a temporary file: its pid means something only on its host."""

    pid: int
    host: str


def this_host() -> str:
    """This machine's (or container's) host name, as temporary file names carry it."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


def temporary_path(target: Path) -> Path:
    token = secrets.token_hex(4)
    return target.with_name(f".{target.name}.{os.getpid()}@{this_host()}.{token}.tmp")


def writer_of(path: Path) -> Writer | None:
    """Who writes temporary file `path`; None if the name is not one `atomic_write` makes."""
    match = TEMPORARY_NAME.fullmatch(path.name)
    return Writer(int(match["pid"]), match["host"]) if match else None


def writer_alive(writer: Writer, modified: float) -> bool | None:
    """Whether the writer of a file last modified at `modified` (epoch) still runs; None when
    it runs on another host, where this host cannot tell."""
    if writer.host != this_host():
        return None
    try:
        process = psutil.Process(writer.pid)
        started = process.create_time()
        zombie = process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True
    # A pid the system gave to a process started after the file was written is not its writer.
    return not zombie and started <= modified + START_TIME_SLACK_SECONDS


@contextlib.contextmanager
def atomic_write(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target` for the block to write (and close); when the
    block ends it is renamed to `target`, and when the block raises (a full disk, a rejected
    upload) it is removed, so a failed write leaves nothing behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_path(target)
    try:
        yield temporary
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
