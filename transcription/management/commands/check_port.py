from __future__ import annotations

import socket
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Exit 1 with one line naming PORT and a free one when the web's port on 127.0.0.1 is "
        "taken: `make run` runs it first, as gunicorn would otherwise retry for ever."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("port", type=int)

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        if can_bind(port):
            return
        free = next((p for p in range(port + 1, min(port + 100, 65536)) if can_bind(p)), None)
        hint = f"run `make run PORT={free}`" if free else "set PORT to a free port"
        self.stderr.write(f"Port {port} is taken by another program: {hint}.")
        raise SystemExit(1)


def can_bind(port: int) -> bool:
    """As gunicorn binds: SO_REUSEADDR, so a port left in TIME_WAIT counts as free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
