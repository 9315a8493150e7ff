"""writers.prepared: statements PostgreSQL plans once per connection, through Django's cursor
machinery (errors, query log) all the same."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import ProgrammingError, connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from writers.prepared import prepared_cursor

STATEMENT = "SELECT %s::text || '!' AS shout, COUNT(*) FROM accounts_user WHERE username <> %s"


def runs() -> dict[str, int]:
    """How many times each statement prepared on this connection ran (one prepared in an
    earlier test of this process stays prepared)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements")
        return dict(cursor.fetchall())


def test_it_prepares_a_statement_that_runs_again_and_runs_it_prepared(alice: User) -> None:
    before = runs()
    for word in ("hello", "again", "and again"):
        with prepared_cursor() as cursor:
            cursor.execute(STATEMENT, [word, "nobody"])
            assert cursor.fetchall() == [(f"{word}!", 1)]
    after = runs()
    [statement] = [text for text in after if "shout" in text]
    assert "$1" in statement and "$2" in statement
    # The first run is not prepared: a statement that never comes back is not kept.
    assert after[statement] - before.get(statement, 0) == 2


def test_it_keeps_a_one_off_statement_unprepared(db: Any) -> None:
    with prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int + 41 AS once", [1])
        assert cursor.fetchone() == (42,)
    assert not [text for text in runs() if "once" in text]


def test_it_leaves_djangos_own_statements_unprepared(alice: User) -> None:
    before = runs()
    for _ in range(10):
        assert User.objects.filter(username=alice.username).count() == 1
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, ["hello", "nobody"])
    added = set(runs()) - set(before)
    assert all("shout" in statement for statement in added)
    assert not any("COUNT(*) AS" in statement for statement in runs())


def test_it_logs_the_statement_with_its_parameters_as_django_does(db: Any) -> None:
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute(STATEMENT, ["it's", "nobody"])
    assert [query["sql"] for query in queries.captured_queries] == [
        "SELECT 'it''s'::text || '!' AS shout, COUNT(*) FROM accounts_user"
        " WHERE username <> 'nobody'"
    ]


def test_it_raises_djangos_errors(db: Any) -> None:
    with pytest.raises(ProgrammingError), prepared_cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table WHERE id = %s", [1])


def test_it_is_counted_in_the_metrics_like_djangos_own_queries(db: Any) -> None:
    from django_prometheus.db.metrics import execute_total

    counted = execute_total.labels(connection.alias, connection.vendor)
    before = counted._value.get()
    with prepared_cursor() as cursor:
        cursor.execute(STATEMENT, ["counted", "nobody"])
    assert counted._value.get() == before + 1
