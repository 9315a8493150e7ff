"""Cursors whose statements PostgreSQL parses and plans once per connection.

Django binds parameters on the client, so PostgreSQL parses and plans every statement anew. For
a long statement run on every request (the API list's page, tasks_app.task_json: 9 KB of SQL)
that was a third of PostgreSQL's time for it (bench/LOAD.md). psycopg keeps such statements
prepared per connection.
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

# A statement is prepared the second time it runs on a connection: a one-off (a deep page of the
# list: Django writes LIMIT and OFFSET into the SQL) is not kept.
PREPARE_THRESHOLD = 1
# Statements kept prepared per connection, the least recently used deallocated first: the list's
# page keeps about 300 KB in its PostgreSQL backend (psycopg's default is 100).
PREPARED_MAX = 16


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
    return ExportingCursorWrapper(ServerBindingCursor, alias, vendor)


@contextmanager
def prepared_cursor(using: str = "default") -> Iterator[CursorWrapper]:
    """A PostgreSQL cursor of Django's (errors translated, queries logged when Django logs
    them) whose statements psycopg prepares once they run again on the connection; on another
    database (SQLite), Django's own cursor."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparing off (None). It stays off for Django's own cursors,
        # which bind on the client, where psycopg never prepares.
        connection.connection.prepare_threshold = PREPARE_THRESHOLD
        connection.connection.prepared_max = PREPARED_MAX
    with connection.wrap_database_errors:
        cursor = _cursor_class(connection.alias, connection.vendor)(connection.connection)
    if connection.queries_logged:
        wrapped = LoggedCursor(cursor, connection)
    else:
        wrapped = connection.make_cursor(cursor)
    with wrapped:
        yield wrapped
