"""`make test` runs the suite on the PostgreSQL that scripts/services.py starts; a run that
quietly fell back to SQLite would leave everything PostgreSQL-specific untested."""

from __future__ import annotations

import os

from django.conf import settings
from django.db import connection


def test_it_runs_on_postgresql_when_the_harness_provides_it(db) -> None:
    assert os.environ.get("DATABASE_URL"), (
        "DATABASE_URL is not set: run the suite inside scripts/services.py (make test)"
    )
    assert connection.vendor == "postgresql"
    # And on its Redis, not a default one that may belong to someone else.
    assert os.environ.get("REDIS_URL") == settings.REDIS_URL
