"""deploy/alertmanager/render.sh: the compose Alertmanager starts through it, and it routes every
alert to the channels the environment names. Checked with the real amtool and a real Alertmanager
on loopback that delivers to a webhook and an SMTP sink run here."""

from __future__ import annotations

import json
import os
import socket
import socketserver
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from writers.tests.test_deploy_config import DEPLOY, compose, need

RENDER = DEPLOY / "alertmanager" / "render.sh"
SMTP = {
    "EMAIL_HOST": "smtp.example.org",
    "EMAIL_HOST_USER": "alerts",
    # Quotes, '#' and ': ' would end or comment out an unquoted YAML value.
    "EMAIL_HOST_PASSWORD": 'it\'s #1: "secret"\\',
    "DEFAULT_FROM_EMAIL": "Writers <writers@example.org>",
    "ALERT_EMAIL_TO": "ops@example.org, oncall@example.org",
}
WEBHOOK = {"ALERT_WEBHOOK_URL": "https://hooks.example.org/alerts?team=ops&key='k'"}


def render(out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # Only PATH from this shell, so a developer's own EMAIL_HOST cannot leak into the result.
    return subprocess.run(
        [str(RENDER), str(out)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def operators(config: Path) -> dict:
    receivers = {r["name"]: r for r in yaml.safe_load(config.read_text())["receivers"]}
    return receivers["operators"]


def check_config(config: Path) -> None:
    result = subprocess.run(
        [need("amtool"), "check-config", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "env, channels",
    [
        ({}, set()),
        (SMTP, {"email_configs"}),
        (WEBHOOK, {"webhook_configs"}),
        ({**SMTP, **WEBHOOK}, {"email_configs", "webhook_configs"}),
    ],
    ids=["none", "email", "webhook", "both"],
)
def test_it_renders_a_config_amtool_accepts(
    tmp_path: Path, env: dict[str, str], channels: set[str]
) -> None:
    config = tmp_path / "alertmanager.yml"
    result = render(config, env)
    assert result.returncode == 0, result.stderr
    check_config(config)
    assert set(operators(config)) - {"name"} == channels


def test_it_says_alerts_go_nowhere_but_the_ui_without_a_channel(tmp_path: Path) -> None:
    result = render(tmp_path / "alertmanager.yml", {})
    assert "neither ALERT_EMAIL_TO nor ALERT_WEBHOOK_URL is set" in result.stderr
    assert render(tmp_path / "alertmanager.yml", WEBHOOK).stderr == ""


def test_it_mails_through_the_apps_smtp_settings_with_values_kept_verbatim(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    render(config, {**SMTP, **WEBHOOK, "EMAIL_PORT": "465", "EMAIL_USE_TLS": "0"})
    [email] = operators(config)["email_configs"]
    assert email == {
        "to": "ops@example.org, oncall@example.org",
        "from": "Writers <writers@example.org>",
        "smarthost": "smtp.example.org:465",
        "auth_username": "alerts",
        "auth_password": 'it\'s #1: "secret"\\',
        "require_tls": False,
        "send_resolved": True,
    }
    [webhook] = operators(config)["webhook_configs"]
    assert webhook["url"] == "https://hooks.example.org/alerts?team=ops&key='k'"


def test_it_uses_the_apps_smtp_defaults(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    render(config, {"EMAIL_HOST": "smtp.example.org", "ALERT_EMAIL_TO": "ops@example.org"})
    [email] = operators(config)["email_configs"]
    assert email["smarthost"] == "smtp.example.org:587"
    assert email["from"] == "Writers <writers@localhost>"
    assert email["require_tls"] is True
    assert "auth_username" not in email


def test_it_refuses_an_email_receiver_without_an_smtp_server(tmp_path: Path) -> None:
    result = render(tmp_path / "alertmanager.yml", {"ALERT_EMAIL_TO": "ops@example.org"})
    assert result.returncode == 1
    assert "ALERT_EMAIL_TO is set but EMAIL_HOST is empty" in result.stderr


def test_it_runs_the_command_after_rendering(tmp_path: Path) -> None:
    config = tmp_path / "alertmanager.yml"
    result = subprocess.run(
        [str(RENDER), str(config), "cat", str(config)],
        env={"PATH": os.environ["PATH"], **WEBHOOK},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "webhook_configs" in result.stdout


def test_compose_starts_alertmanager_on_the_rendered_config() -> None:
    service = compose()["services"]["alertmanager"]
    [rendered] = [a.split("=", 1)[1] for a in service["command"] if a.startswith("--config.file")]
    assert service["entrypoint"] == ["/bin/sh", "/etc/alertmanager/render.sh", rendered]
    assert "./deploy/alertmanager:/etc/alertmanager:ro" in service["volumes"]
    assert str(Path(rendered).parent) in service["tmpfs"]
    for name in ("ALERT_EMAIL_TO", "ALERT_WEBHOOK_URL", *SMTP, "EMAIL_PORT", "EMAIL_USE_TLS"):
        assert name in service["environment"], name


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP (no TLS, no AUTH) for Alertmanager to hand over its mail."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 sink")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"QUIT":
                self.reply("221 bye")
                return
            if verb != b"DATA":
                self.reply("250 ok")
                continue
            self.reply("354 go on")
            message = []
            while (part := self.rfile.readline()) not in (b".\r\n", b""):
                message.append(part)
            self.server.received.append(b"".join(message).decode())  # type: ignore[attr-defined]
            self.reply("250 kept")


@pytest.fixture
def receivers() -> Iterator[tuple[ThreadingHTTPServer, socketserver.ThreadingTCPServer]]:
    webhook = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    smtp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SmtpSink)
    for server in (webhook, smtp):
        server.daemon_threads = True
        server.received = []  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield webhook, smtp
    for server in (webhook, smtp):
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"no {what} within {seconds}s"
        time.sleep(0.2)


def ready(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200
    except OSError:
        return False


def test_a_firing_alert_reaches_the_webhook_and_the_mailbox(
    tmp_path: Path, receivers: tuple[ThreadingHTTPServer, socketserver.ThreadingTCPServer]
) -> None:
    webhook, smtp = receivers
    config = tmp_path / "alertmanager.yml"
    env = {
        "ALERT_WEBHOOK_URL": f"http://127.0.0.1:{webhook.server_port}/alerts",
        "ALERT_EMAIL_TO": "ops@example.org",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.server_address[1]),
        "EMAIL_USE_TLS": "0",
    }
    assert render(config, env).returncode == 0
    # The real group_wait (30s) would make this test wait as long.
    text = config.read_text()
    assert "group_wait: 30s" in text
    config.write_text(text.replace("group_wait: 30s", "group_wait: 1s"))
    url = f"http://127.0.0.1:{free_port()}"
    with (tmp_path / "alertmanager.log").open("w") as log:
        alertmanager = subprocess.Popen(
            [
                need("prometheus-alertmanager"),
                f"--config.file={config}",
                f"--storage.path={tmp_path / 'data'}",
                f"--web.listen-address={url.removeprefix('http://')}",
                "--cluster.listen-address=",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: ready(url) or alertmanager.poll() is not None, "ready Alertmanager")
        assert alertmanager.poll() is None, (tmp_path / "alertmanager.log").read_text()
        subprocess.run(
            [
                need("amtool"),
                "alert",
                "add",
                "WritersTestAlert",
                "severity=critical",
                "--annotation=summary=routing test",
                f"--alertmanager.url={url}",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        wait_for(lambda: webhook.received, "webhook POST")
        wait_for(lambda: smtp.received, "mail")
    finally:
        alertmanager.terminate()
        alertmanager.wait(timeout=30)
    [alert] = webhook.received[0]["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"] == {"alertname": "WritersTestAlert", "severity": "critical"}
    assert "WritersTestAlert" in smtp.received[0]
    assert "To: ops@example.org" in smtp.received[0]
