"""Temporary files that nobody will ever rename: their writer (a worker, or the web receiving an
upload) was killed between writing one and renaming it (tasks_app.storage.atomic_write).

A temporary file's name says which process writes it. On this host the process table answers
whether that writer still lives; a live writer's file is never removed, however long it takes.
On another host (a worker container on the shared volume) its pid means nothing here, so its
file is judged by age alone: every writer's live window is short (a result is written in
milliseconds, normalised audio grows as it is written, an upload's probe is limited to
tasks_app.uploads.PROBE_TIMEOUT_SECONDS), well within the heartbeat grace.

The same names mark each process's scratch directory (`tasks_app.blobs.scratch_dir`: private
downloads of stored files, on the S3 backend, and files made before they are stored): a killed
process's directory goes with everything in it. A worker's heartbeat keeps its directory's time
fresh, so another host's live worker never looks abandoned.

Two places clean up: the sweeper (`remove(older_than=HEARTBEAT_GRACE_SECONDS,
other_hosts=True)`) and each worker process at start (`remove(older_than=0,
other_hosts=False)`), which takes away what its dead predecessors on this host left at once.
Hosts are told apart by host name, so containers sharing a volume need distinct ones (Docker's
default).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings

from tasks_app import storage
from writers import metrics

logger = logging.getLogger(__name__)

# Where atomic writes happen: uploads being received; results, partial results (one folder
# per task), thumbnails and normalised audio; and where processes keep their scratch directories.
FOLDERS = ("uploads", "results", "scratch")


def temporary_files() -> dict[Path, storage.Writer]:
    """The temporary files of atomic writes and the scratch directories under STORAGE_ROOT,
    live or not, and their writers."""
    root = Path(settings.STORAGE_ROOT)
    found = {}
    for folder in FOLDERS:
        for path in _entries(root / folder):
            if writer := storage.writer_of(path):
                found[path] = writer
            elif folder == "results" and path.is_dir():
                for inner in _entries(path):
                    if writer := storage.writer_of(inner):
                        found[inner] = writer
    return found


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return []


def remove(*, older_than: float, other_hosts: bool) -> int:
    """Remove the temporary files not modified for `older_than` seconds whose writer is dead:
    on this host, its process is gone; on other hosts (with `other_hosts`), by age alone.
    Returns how many were removed."""
    removed = 0
    now = time.time()
    for path, writer in temporary_files().items():
        try:
            modified = path.stat().st_mtime
        except FileNotFoundError:
            continue  # renamed by its writer, or removed by another cleaner, meanwhile
        if now - modified < older_than:
            continue
        alive = storage.writer_alive(writer, modified)
        if alive or (alive is None and not other_hosts):
            continue
        try:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue
        removed += 1
        logger.info(
            "Removed %s/%s, left by %d@%s, %.0fs old",
            path.parent.name,
            path.name,
            writer.pid,
            writer.host,
            now - modified,
        )
    if removed:
        metrics.count_leftovers(removed)
    return removed
