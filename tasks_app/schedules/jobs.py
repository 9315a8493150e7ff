"""Entry points of the `schedules` queue: ids and primitives in, the work in services."""

from __future__ import annotations

from datetime import datetime

from tasks_app.schedules import services


def run_due(schedule_id: int, due_at: str) -> str:
    """Run the slot `due_at` (ISO) of a schedule, unless another process already has."""
    execution = services.run_due(schedule_id, datetime.fromisoformat(due_at))
    return "skipped" if execution is None else execution.outcome
