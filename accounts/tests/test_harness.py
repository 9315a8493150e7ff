from django.conf import settings
from django.db import connection


def test_it_runs_on_postgresql_when_the_harness_provides_it(db):
    if "DATABASE_URL" in __import__("os").environ:
        assert connection.vendor == "postgresql"
    assert settings.REDIS_URL
