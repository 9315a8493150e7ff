"""Builds a database as it was before workspaces (tasks_app 0007_teams: the tables exist, no
task has a workspace), fills it with users and tasks through the historical models, migrates it
forward and prints what the current models read back, as JSON.

Run in a subprocess (`python migration_fixture.py`) with DATABASE_URL pointing at an empty
database; test_migration_personal_workspaces.py runs it on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

BEFORE = [("tasks_app", "0007_teams")]
AFTER = [("tasks_app", "0009_task_workspace_required")]


def build() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    User = apps.get_model("accounts", "User")
    Task = apps.get_model("tasks_app", "Task")
    # Historical models send no post_save signal: nobody has a personal workspace yet.
    for name, titles in (("alice", ["Interview", "Board call"]), ("bob", ["Lecture"])):
        user = User.objects.create(email=f"{name}@example.org", username=name, password="!")
        for title in titles:
            Task.objects.create(user=user, title=title, kind="todo", status="PENDING")
    # A task in the Trash moves too: restoring it later must find it in its owner's workspace.
    alice = User.objects.get(username="alice")
    Task.objects.create(
        user=alice, title="Old draft", kind="todo", status="PENDING", deleted_at="2026-01-01T00:00Z"
    )
    User.objects.create(email="carol@example.org", username="carol", password="!")


def forward() -> dict:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    User = apps.get_model("accounts", "User")
    Task = apps.get_model("tasks_app", "Task")
    Membership = apps.get_model("tasks_app", "Membership")
    users = {}
    for user in User.objects.order_by("username"):
        workspace = user.personal_workspace
        members = list(
            Membership.objects.filter(workspace=workspace).values_list("user_id", "role")
        )
        users[user.username] = {
            "workspace": workspace.name,
            "members": [[str(uid) == str(user.pk), role] for uid, role in members],
            "tasks": sorted(
                Task.objects.filter(workspace=workspace).values_list("title", flat=True)
            ),
            "owned": Task.objects.filter(user=user).count(),
        }
    orphans = Task.objects.filter(workspace__isnull=True).count()
    return {"users": users, "orphans": orphans, "tasks": Task.objects.count()}


if __name__ == "__main__":
    build()
    print(json.dumps(forward(), default=str))
