"""What must hold after every chaos scenario, checked from the database and the disk.

A PostgreSQL trigger (installed for the run, `install_status_log`) records every change of a
task's status and every write to a task that was already terminal, independently of the
application code under test. From that log and the files:

- stuck: a task not terminal once the scenario gave up waiting;
- lost: a task that did not end as the scenario expected (a healthy task that is not
  COMPLETED with its result file, a poison task that is not FAILED), or whose row vanished;
- dup: a task moved to COMPLETED more than once, or with more than one completed attempt;
- overwritten: a write that changed a terminal task's status, attempt, result or error;
- orphans: a stored file under uploads/ or results/ (on either backend) that belongs to no task,
  or a half-written one;
- stale_results (a note, shown when not 0): a result document its task no longer points at,
  which a store that went away before the replaced name could be deleted leaves until the task
  is purged.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from tasks_app import blobs
from tasks_app.models import TERMINAL, Attempt, Status, Task

LOG_TABLE = "chaos_status_log"
TRIGGER_SQL = """
CREATE TABLE IF NOT EXISTS chaos_status_log (
    id bigserial PRIMARY KEY,
    task_id uuid NOT NULL,
    old_status text,
    new_status text NOT NULL,
    attempts integer NOT NULL,
    terminal_overwrite boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE OR REPLACE FUNCTION chaos_status_log_fn() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO chaos_status_log (task_id, old_status, new_status, attempts)
        VALUES (NEW.id, NULL, NEW.status, NEW.attempts);
    ELSIF OLD.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND (
        NEW.status IS DISTINCT FROM OLD.status OR NEW.attempts IS DISTINCT FROM OLD.attempts
        OR NEW.completed_at IS DISTINCT FROM OLD.completed_at
        OR NEW.result_path IS DISTINCT FROM OLD.result_path
        OR NEW.transcript_text IS DISTINCT FROM OLD.transcript_text
        OR NEW.error_code IS DISTINCT FROM OLD.error_code
    ) THEN
        INSERT INTO chaos_status_log (task_id, old_status, new_status, attempts, terminal_overwrite)
        VALUES (NEW.id, OLD.status, NEW.status, NEW.attempts, true);
    ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO chaos_status_log (task_id, old_status, new_status, attempts)
        VALUES (NEW.id, OLD.status, NEW.status, NEW.attempts);
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS chaos_status_log_trigger ON tasks_app_task;
CREATE TRIGGER chaos_status_log_trigger AFTER INSERT OR UPDATE ON tasks_app_task
    FOR EACH ROW EXECUTE FUNCTION chaos_status_log_fn();
"""
UNINSTALL_SQL = """
DROP TRIGGER IF EXISTS chaos_status_log_trigger ON tasks_app_task;
DROP FUNCTION IF EXISTS chaos_status_log_fn();
DROP TABLE IF EXISTS chaos_status_log;
"""


def install_status_log() -> None:
    with connection.cursor() as cursor:
        cursor.execute(TRIGGER_SQL)


def uninstall_status_log() -> None:
    with connection.cursor() as cursor:
        cursor.execute(UNINSTALL_SQL)


def status_log(task_ids: list[Any]) -> list[tuple[str, str | None, str, int, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT task_id::text, old_status, new_status, attempts, terminal_overwrite "  # noqa: S608 (constant)
            f"FROM {LOG_TABLE} WHERE task_id = ANY(%s::uuid[]) ORDER BY id",
            [[str(pk) for pk in task_ids]],
        )
        return list(cursor.fetchall())


def recovered_after(task_id: Any, since: float) -> float | None:
    """Seconds from `since` (epoch) until the task was back on the queue or had ended: how
    long the system took to notice a fault and hand the task on. Queue wait is not counted."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(at) FROM chaos_status_log WHERE task_id = %s AND at > to_timestamp(%s) "
            "AND new_status IN ('IN_PROGRESS', 'COMPLETED', 'FAILED', 'CANCELLED')",
            [str(task_id), since],
        )
        (at,) = cursor.fetchone()
    return None if at is None else at.timestamp() - since


@dataclass
class Outcome:
    """One scenario's figures; `line()` is what `make chaos` prints."""

    scenario: str
    tasks: int
    kills: int = 0
    lost: int = 0
    dup: int = 0
    stuck: int = 0
    overwritten: int = 0
    orphans: int = 0
    recoveries: list[float] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.dup or self.stuck or self.overwritten or self.orphans)

    def percentile(self, fraction: float) -> float | None:
        if not self.recoveries:
            return None
        if len(self.recoveries) == 1:
            return self.recoveries[0]
        return statistics.quantiles(self.recoveries, n=100, method="inclusive")[
            round(fraction * 100) - 1
        ]

    def line(self) -> str:
        def seconds(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.2f}s"

        extra = " ".join(f"{key}={value}" for key, value in self.notes.items())
        return (
            f"scenario={self.scenario} tasks={self.tasks} kills={self.kills} lost={self.lost} "
            f"dup={self.dup} stuck={self.stuck} recover_p50={seconds(self.percentile(0.5))} "
            f"recover_p95={seconds(self.percentile(0.95))} overwritten={self.overwritten} "
            f"orphans={self.orphans}" + (f" {extra}" if extra else "")
        )


def check(outcome: Outcome, expected: dict[Any, str], reopened: Collection[Any] = ()) -> Outcome:
    """Fill `outcome`'s counters for the tasks in `expected` (task id → expected status).
    `reopened`: tasks the scenario retried as a client would (FAILED back to PENDING, by
    tasks_app.services.retry_task), which is no overwrite of a terminal task."""
    ids = list(expected)
    rows = {task.pk: task for task in Task.objects.filter(pk__in=ids)}
    completed_attempts = Counter(
        Attempt.objects.filter(task_id__in=ids, outcome=Attempt.Outcome.COMPLETED).values_list(
            "task_id", flat=True
        )
    )
    log = status_log(ids)
    completed_writes = Counter(row[0] for row in log if row[2] == Status.COMPLETED)
    again = {str(pk) for pk in reopened}
    outcome.overwritten = sum(
        1 for row in log if row[4] and not (row[0] in again and row[2] not in TERMINAL)
    )
    for pk, wanted in expected.items():
        task = rows.get(pk)
        if task is None:
            outcome.lost += 1
            outcome.problems.append(f"{pk}: row vanished")
            continue
        if task.status not in TERMINAL:
            outcome.stuck += 1
            outcome.problems.append(f"{pk}: stuck in {task.status} (attempt {task.attempts})")
            continue
        if completed_writes[str(pk)] > 1 or completed_attempts[pk] > 1:
            outcome.dup += 1
            outcome.problems.append(f"{pk}: completed {completed_writes[str(pk)]} times")
        if task.status != wanted or (wanted == Status.COMPLETED and not _result_ok(task)):
            outcome.lost += 1
            outcome.problems.append(
                f"{pk}: {task.status} {task.error_code} (attempt {task.attempts}), "
                f"expected {wanted}"
            )
    orphans, stale = orphan_files()
    outcome.orphans = len(orphans)
    outcome.problems += [f"orphan file {name}" for name in orphans]
    # A finished task keeps one result: the one it points at (the runner drops the others).
    finished = {
        str(pk) for pk in Task.objects.filter(status=Status.COMPLETED).values_list("pk", flat=True)
    }
    left = [name for name in stale if name.split("/")[1] in finished]
    outcome.orphans += len(left)
    outcome.problems += [f"superseded result of a completed task {name}" for name in left]
    if stale:
        outcome.notes["stale_results"] = len(stale)
    return outcome


def _result_ok(task: Task) -> bool:
    try:
        result = blobs.read_json(task.result_path)
    except OSError:
        return False
    return (
        isinstance(result, dict)
        and result.get("task_id") == str(task.pk)
        and result.get("partial") is False
        and result.get("text") == task.transcript_text
    )


def orphan_files() -> tuple[list[str], list[str]]:
    """Stored files under uploads/ and results/ that no live task owns or that are temporary
    leftovers (orphans), and result documents of a live task that it no longer points at
    (stale: each result write takes a new name and deletes the one it replaced; a replaced one
    the store would not delete stays until its task is purged, which removes its folder)."""
    known = {str(pk) for pk in Task.objects.values_list("pk", flat=True)}
    pointed = set(Task.objects.exclude(result_path="").values_list("result_path", flat=True))
    orphans, stale = [], []
    for directory in ("uploads", "results"):
        for name, _changed in blobs.listing(directory):
            # uploads/<id>.flac, results/<id>_thumbnail.jpg, results/<id>/<n>.json
            first, *_rest = name.split("/")[1:]
            base = name.rsplit("/", 1)[-1]
            owner = first.split(".", 1)[0].split("_", 1)[0]
            if base.startswith(".") or base.endswith((".part", ".tmp")) or owner not in known:
                orphans.append(name)
            elif base.endswith(".json") and name not in pointed:
                stale.append(name)
    return sorted(orphans), sorted(stale)
