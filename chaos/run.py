"""`make chaos`: every chaos scenario at full size, one line each.

The run starts its own PostgreSQL and Redis (scripts/services.py's servers) so that scenarios
can crash, stop and wipe them. `--engine real` runs the worker-kill scenario with the real
model (tiny.en) as well. Exits 1 if any invariant broke, listing what did.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scripts.services import ObjectStoreServer, PostgresServer, RedisServer

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "chaos" / "RESULTS.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--real-model", action="store_true", help="also run kill_workers with tiny.en"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from chaos.servers import stop_postgres
    from scripts.services import ObjectStoreServer, PostgresServer, RedisServer

    workdir = Path(tempfile.mkdtemp(prefix="writers-chaos-"))
    os.chmod(workdir, 0o755)  # noqa: S103 (the unprivileged PostgreSQL must traverse it)
    postgres = PostgresServer(workdir / "pg").start()
    redis = RedisServer(workdir / "redis").start()
    store = ObjectStoreServer(workdir / "s3").start()
    os.environ.update(
        DATABASE_URL=postgres.url,
        REDIS_URL=redis.url,
        STORAGE_ROOT=str(workdir / "storage"),
        DJANGO_SETTINGS_MODULE="writers.settings",
        LOG_LEVEL="WARNING",
    )
    (workdir / "storage").mkdir()
    code = 1
    try:
        code = run(args, postgres, redis, store, workdir)
    finally:
        store.stop(signal.SIGKILL)
        redis.stop()
        postgres.stop()
        stop_postgres(postgres)
        if code == 0:
            shutil.rmtree(workdir, ignore_errors=True)
    return code


def run(
    args: argparse.Namespace,
    postgres: PostgresServer,
    redis: RedisServer,
    store: ObjectStoreServer,
    workdir: Path,
) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from chaos import scenarios
    from chaos.harness import Harness
    from chaos.invariants import install_status_log
    from conftest import make_user

    install_status_log()
    user = make_user(name="chaos")
    log = workdir / "processes.log"

    def make(**kwargs: Any) -> Harness:
        return Harness(base_env=dict(os.environ), redis=redis, log=log, **kwargs)

    plan = {
        "kill_workers": lambda: scenarios.kill_workers(make, user),
        "kill_in_write_window": lambda: scenarios.kill_in_write_window(make, user),
        "freeze_worker": lambda: scenarios.freeze_worker(make, user),
        "upload_while_redis_down": lambda: scenarios.upload_while_redis_down(make, user),
        "poison_file": lambda: scenarios.poison_file(make, user, workdir, healthy=20),
        "redis_faults_under_uploads": lambda: scenarios.redis_faults_under_uploads(make, user),
        "postgres_restart": lambda: scenarios.postgres_restart(make, user, postgres),
        "disk_full": lambda: scenarios.disk_full(make, user, workdir),
        "decoder_bomb": lambda: scenarios.decoder_bomb(make, user, workdir),
        "resume_after_kill": lambda: scenarios.resume_after_kill(make, user, workdir),
        "object_store_restart": lambda: scenarios.object_store_restart(make, user, store),
    }
    if args.real_model:
        plan["kill_workers_real_model"] = lambda: scenarios.kill_workers(
            make, user, tasks=60, kills=8, sigterms=2, engine="real"
        )
    wanted = args.only.split(",") if args.only else list(plan)
    failed = False
    lines = []
    for name in wanted:
        outcome = plan[name]()
        lines += [outcome.line(), *(f"  {problem}" for problem in outcome.problems)]
        print("\n".join(lines[-1 - len(outcome.problems) :]), flush=True)
        failed |= not outcome.ok
    if failed:
        print(f"process logs: {log}")
    if not args.only:
        extra = " CHAOS_ARGS=--real-model" if args.real_model else ""
        when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        RESULTS.write_text(
            f"# Chaos results\n\nProduced by `make chaos{extra}` on {when} ({os.cpu_count()} "
            "cores); what each field means: README, Development.\n\n```\n"
            + "\n".join(lines)
            + "\n```\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
