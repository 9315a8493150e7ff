"""Builds a database as today's `main` left it before the integrations moved out of accounts,
fills it, migrates it forward and prints what the current models read back, as JSON.

Run in a subprocess (`python migration_fixture.py`) with DATABASE_URL pointing at an empty
database; test_migration_from_accounts.py runs it on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "writers.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.migrations.executor import MigrationExecutor  # noqa: E402

# The leaf migrations of the three apps before the move.
BEFORE = [
    ("accounts", "0002_integrations"),
    ("tasks_app", "0003_video_text_file_kinds"),
    ("transcription", "0001_initial"),
]
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def build() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group")
    # What post_migrate had made on main: the content type under accounts, a granted permission.
    webhook_type = content_type.objects.create(app_label="accounts", model="webhook")
    change = permission.objects.create(
        content_type=webhook_type, codename="change_webhook", name="Can change webhook"
    )
    group.objects.create(name="operators").permissions.add(change)

    user = apps.get_model("accounts", "User").objects.create(
        email="alice@example.org", username="alice", password="!"
    )
    task = apps.get_model("tasks_app", "Task").objects.create(
        user=user, title="Interview", kind="transcription", status="COMPLETED"
    )
    hook = apps.get_model("accounts", "Webhook").objects.create(
        user=user, url="https://receiver.example.org/hook", secret="s3cret"
    )
    apps.get_model("accounts", "WebhookDelivery").objects.create(
        webhook=hook, event="task.completed", payload={"task": str(task.pk)}, status="succeeded"
    )
    apps.get_model("accounts", "TaskEvent").objects.create(
        task=task, event="task.completed", attempt=1
    )
    apps.get_model("accounts", "Notification").objects.create(
        user=user, task=task, event="task.completed", title="Interview"
    )
    apps.get_model("accounts", "AudioRetention").objects.create(task=task, delete_after=WHEN)


def forward() -> dict:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType

    from tasks_app.integrations.models import (
        AudioRetention,
        Notification,
        TaskEvent,
        Webhook,
        WebhookDelivery,
    )

    hook = Webhook.objects.get()
    return {
        "webhook": [hook.url, hook.secret, hook.user.email],
        "deliveries": list(WebhookDelivery.objects.values_list("event", "status", "webhook_id")),
        "events": list(TaskEvent.objects.values_list("event", "attempt", "task__title")),
        "notifications": list(Notification.objects.values_list("title", "user__email")),
        "retention": [r.delete_after.isoformat() for r in AudioRetention.objects.all()],
        "operators": sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name="operators").permissions.all()
        ),
        "accounts_types": sorted(
            ContentType.objects.filter(app_label="accounts").values_list("model", flat=True)
        ),
        "hook_id": str(hook.pk),
    }


if __name__ == "__main__":
    build()
    print(json.dumps(forward(), default=str))
