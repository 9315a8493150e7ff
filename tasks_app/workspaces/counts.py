"""The triggers that keep LiveTaskCount, and the recount that sets it from the tasks themselves
(migration 0013, `manage.py recount_tasks`). PostgreSQL only.

A row lock on a workspace's count is held from a task's insert, delete or move until its
transaction commits, so uploads into one workspace commit one after another; their transactions
hold nothing slow (the file is stored before, tasks_app.services.create_task).
"""

from __future__ import annotations

from typing import Any

INSTALL = [
    """
CREATE OR REPLACE FUNCTION tasks_app_count_live_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- The workspace that loses a live task, and the one that gains it.
    gone bigint := NULL;
    came bigint := NULL;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.deleted_at IS NULL THEN
        gone := OLD.workspace_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.deleted_at IS NULL THEN
        came := NEW.workspace_id;
    END IF;
    IF gone IS NOT DISTINCT FROM came THEN
        RETURN NULL;
    END IF;
    -- A move takes the two rows' locks lower id first, so moves both ways between two
    -- workspaces cannot deadlock each other.
    IF gone IS NOT NULL AND (came IS NULL OR gone < came) THEN
        UPDATE tasks_app_livetaskcount SET live = live - 1 WHERE workspace_id = gone;
        gone := NULL;
    END IF;
    IF came IS NOT NULL THEN
        INSERT INTO tasks_app_livetaskcount (workspace_id, live) VALUES (came, 1)
        ON CONFLICT (workspace_id) DO UPDATE SET live = tasks_app_livetaskcount.live + 1;
    END IF;
    IF gone IS NOT NULL THEN
        UPDATE tasks_app_livetaskcount SET live = live - 1 WHERE workspace_id = gone;
    END IF;
    RETURN NULL;
END
$$""",
    """
CREATE TRIGGER live_task_count_insert_delete AFTER INSERT OR DELETE ON tasks_app_task
FOR EACH ROW EXECUTE FUNCTION tasks_app_count_live_tasks()""",
    # Django's save() writes every column: only a change of workspace or of deleted-ness counts.
    """
CREATE TRIGGER live_task_count_update AFTER UPDATE OF workspace_id, deleted_at ON tasks_app_task
FOR EACH ROW WHEN (
    OLD.workspace_id IS DISTINCT FROM NEW.workspace_id
    OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
) EXECUTE FUNCTION tasks_app_count_live_tasks()""",
]

UNINSTALL = [
    "DROP TRIGGER IF EXISTS live_task_count_update ON tasks_app_task",
    "DROP TRIGGER IF EXISTS live_task_count_insert_delete ON tasks_app_task",
    "DROP FUNCTION IF EXISTS tasks_app_count_live_tasks()",
]

RECOUNT = [
    # Writes of tasks wait meanwhile (SHARE blocks them, not reads), so none is counted twice
    # or missed.
    "LOCK TABLE tasks_app_task IN SHARE MODE",
    "DELETE FROM tasks_app_livetaskcount",
    """
INSERT INTO tasks_app_livetaskcount (workspace_id, live)
SELECT workspace_id, count(*) FROM tasks_app_task WHERE deleted_at IS NULL GROUP BY workspace_id""",
]


def install(connection: Any) -> None:
    _run(connection, INSTALL)


def uninstall(connection: Any) -> None:
    _run(connection, UNINSTALL)


def recount(connection: Any) -> None:
    """Every workspace's count set from its tasks; call inside a transaction."""
    _run(connection, RECOUNT)


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
