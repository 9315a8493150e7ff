"""Cursors whose statements PostgreSQL parses and plans once per connection.

Django binds parameters on the client, so PostgreSQL parses and plans every statement anew. For
a long statement run on every request (the API list's page, tasks_app.task_json: 9 KB of SQL)
that was a third of PostgreSQL's time for it (bench/LOAD.md). psycopg keeps such statements
prepared per connection (at most `prepared_max`, the least used deallocated first).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connections
from django.db.backends.postgresql.base import CursorDebugWrapper, ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from django_prometheus.db.common import ExportingCursorWrapper

# psycopg prepares a statement run this many times even when not asked: in effect never.
NEVER_UNASKED = 2**31


class PreparingCursor(ServerBindingCursor):
    """Binds parameters on the server and prepares every statement it runs."""

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)


class LoggedCursor(CursorDebugWrapper):
    """Logs a statement with its parameters written in, as Django logs its own: psycopg keeps no
    text of a prepared statement's run for Django to read back."""

    def debug_sql(
        self, sql: Any = None, params: Any = None, use_last_executed_query: bool = False, **kw: Any
    ) -> Any:
        if use_last_executed_query and sql is not None:
            sql = self.db.ops.compose_sql(sql, params)
        return super().debug_sql(sql, params, use_last_executed_query=False, **kw)


@cache
def _cursor_class(alias: str, vendor: str) -> type:
    # Counted in /metrics like Django's own cursors (django-prometheus).
    return ExportingCursorWrapper(PreparingCursor, alias, vendor)


@contextmanager
def prepared_cursor(using: str = "default") -> Iterator[CursorWrapper]:
    """A PostgreSQL cursor of Django's (errors translated, queries logged when Django logs
    them) whose statements are prepared."""
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparing off (None); only cursors of this module ask for it
        # (Django's own bind on the client, where psycopg never prepares).
        connection.connection.prepare_threshold = NEVER_UNASKED
    with connection.wrap_database_errors:
        cursor = _cursor_class(connection.alias, connection.vendor)(connection.connection)
    wrapped = LoggedCursor(cursor, connection) if connection.queries_logged else None
    with wrapped or connection.make_cursor(cursor) as used:
        yield used
