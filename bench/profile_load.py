"""Where the time of `make load`'s endpoints goes, in-process: bench/load.py's seed (10 000 tasks
in 50 workspaces) in a throwaway PostgreSQL, then each endpoint through Django's test client,
one request after another: the median, the queries (count and time) and cProfile's heaviest
functions (cumulative). Run with `make profile-load` (PROFILE_ARGS="--only list --top 40").

Also writes the API list page's bytes to $PROFILE_OUT/list.json when PROFILE_OUT is set, so two
trees' answers for the same seed can be compared byte for byte.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import seed, setup_django  # noqa: E402

ENDPOINTS = [
    ("list", "/api/v1/tasks?limit=100", "bearer"),
    ("detail", "/api/v1/tasks/{id}", "bearer"),
    ("dashboard", "/dashboard", "cookie"),
    ("refresh", "/dashboard", "htmx"),
    ("page", "/dashboard/tasks/{id}", "cookie"),
    ("poll", "/dashboard/tasks/{id}/status", "htmx"),
]


def timed(
    queries: list[tuple[float, str]],
    execute: Callable[..., Any],
    sql: str,
    params: Any,
    many: bool,
    context: dict[str, Any],
) -> Any:
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        queries.append(((time.perf_counter() - started) * 1000, sql))


def seeded() -> tuple[Any, list[str]]:
    """The user under test and 500 of their tasks' ids, as bench.load.seed returned them, when
    the database already holds the seed (a PostgreSQL kept between runs)."""
    from accounts.models import User
    from tasks_app.models import Task

    user = User.objects.filter(username="load").first()
    if user is None:
        return None, []
    tasks = Task.objects.visible_to(user).filter(title__startswith="Interview")
    ids = tasks.order_by("-created_at").values_list("pk", flat=True)[:500]
    return user, [str(pk) for pk in ids]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", default="", help="endpoints whose name contains this")
    parser.add_argument("--top", type=int, default=25, help="functions shown per profile")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database's seed when it has one"
    )
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Run through scripts/services.py (make profile-load).")
    storage = Path(tempfile.mkdtemp(prefix="writers-profile-")) / "storage"
    storage.mkdir()
    setup_django(storage)
    from django.db import connection
    from django.test import Client

    from accounts.tokens import issue_tokens

    user, ids = seeded() if args.keep else (None, [])
    if user is None:
        user, ids = seed(args.tasks)
    token = issue_tokens(user)[0]
    client = Client(SERVER_NAME="localhost")
    client.cookies["access_token"] = token
    headers = {
        "bearer": {"Authorization": f"Bearer {token}"},
        "cookie": {},
        "htmx": {"HX-Request": "true"},
    }
    out = os.environ.get("PROFILE_OUT")
    if out:
        body = client.get("/api/v1/tasks?limit=100", headers=headers["bearer"]).content
        Path(out, "list.json").write_bytes(body)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for name, template, auth in ENDPOINTS:
        if args.only not in name:
            continue
        for number in range(3):  # warm caches, as bench/load.py does
            client.get(template.replace("{id}", ids[number]), headers=headers[auth])
        # Django's CaptureQueriesContext counts by index in a log each request empties.
        queries: list[tuple[float, str]] = []
        with connection.execute_wrapper(partial(timed, queries)):
            response = client.get(template.replace("{id}", ids[3]), headers=headers[auth])
        assert response.status_code in (200, 286), (template, response.status_code)
        sql_ms = sum(ms for ms, _sql in queries)
        times = []
        profile = cProfile.Profile()
        for number in range(args.requests):
            path = template.replace("{id}", ids[(number + 4) % len(ids)])
            started = time.perf_counter()
            if args.no_profile:
                client.get(path, headers=headers[auth])
            else:
                profile.runcall(client.get, path, headers=headers[auth])
            times.append((time.perf_counter() - started) * 1000)
        print(
            f"\n== {name} {template}: median {statistics.median(times):.1f} ms "
            f"(min {min(times):.1f}){' under cProfile' if not args.no_profile else ''}, "
            f"{len(queries)} queries {sql_ms:.1f} ms, "
            f"{len(response.content)} bytes"
        )
        for ms, sql in queries:
            print(f"   {ms:6.1f} ms  {sql[:150]}")
        if not args.no_profile:
            text = io.StringIO()
            stats = pstats.Stats(profile, stream=text).strip_dirs().sort_stats("cumulative")
            stats.print_stats(args.top)
            text.write("\n-- by own time --\n")
            stats.sort_stats("tottime").print_stats(args.top)
            print(text.getvalue())


if __name__ == "__main__":
    main()
