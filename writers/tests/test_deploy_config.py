"""Docker cannot run here, so the deployment files are checked by the tools that read them."""

from __future__ import annotations

import gc
import json
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
NGINX_VARS = (
    "WRITERS_UPSTREAM",
    "SERVER_NAME",
    "HTTP_PORT",
    "HTTPS_PORT",
    "STATUS_PORT",
    "CERT_DIR",
    "SNIPPETS_DIR",
    "STORAGE_ROOT",
)


def need(tool: str) -> str:
    path = shutil.which(tool) or (
        f"/usr/sbin/{tool}" if Path(f"/usr/sbin/{tool}").exists() else None
    )
    assert path, f"{tool} is not installed (make test installs it: scripts/system-deps.sh)"
    return path


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_it_parses_the_compose_file_with_every_service():
    services = compose()["services"]
    for name in (
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker-gpu0",
        "clock",
        "nginx",
        "prometheus",
        "alertmanager",
        "grafana",
        "node-exporter",
        "postgres-exporter",
        "redis-exporter",
        "nginx-exporter",
        "gpu-exporter",
        "loki",
        "promtail",
    ):
        assert name in services, name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "healthcheck" in services["postgres"]
    assert "--appendonly" in services["redis"]["command"]
    assert "ports" not in services["redis"]
    gpu = services["worker-gpu0"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["device_ids"] == ["0"]
    assert services["prometheus"]["profiles"] == ["monitoring"]
    assert services["loki"]["profiles"] == ["logging"]


def test_it_mounts_only_files_that_exist():
    for name, service in compose()["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"


def test_it_documents_every_setting_in_env_example():
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    source = (ROOT / "writers" / "settings.py").read_text()
    used = set(re.findall(r"env(?:bool|int|float|list)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source))
    used |= set(re.findall(r"os\.environ\.get\(\"([A-Z][A-Z0-9_]+)\"", source))
    assert used - documented == set()


def test_prometheus_config_and_rules_pass_promtool():
    promtool = need("promtool")
    for args in (
        ["check", "config", "prometheus.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts_test.yml"],
    ):
        result = subprocess.run(
            [promtool, *args], cwd=DEPLOY / "prometheus", capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


def render_nginx(directory: Path, upstream: str, ports: dict[str, int]) -> Path:
    """The compose nginx renders its template with envsubst; do the same into `directory`."""
    certs = directory / "certs"
    snippets = directory / "snippets"
    conf_d = directory / "conf.d"
    for path in (certs, snippets, conf_d):
        path.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            certs / "privkey.pem",
            "-out",
            certs / "fullchain.pem",
        ],
        check=True,
        capture_output=True,
    )
    shutil.copy(DEPLOY / "nginx" / "security-headers.conf", snippets)
    values = {
        "WRITERS_UPSTREAM": upstream,
        "SERVER_NAME": "localhost",
        "CERT_DIR": str(certs),
        "SNIPPETS_DIR": str(snippets),
        "STORAGE_ROOT": str(settings.STORAGE_ROOT),
        **{k: str(v) for k, v in ports.items()},
    }
    template = (DEPLOY / "nginx" / "templates" / "writers.conf.template").read_text()
    rendered = re.sub(
        r"\$\{(\w+)\}",
        lambda m: values[m.group(1)] if m.group(1) in values else m.group(0),
        template,
    )
    assert "${" not in rendered
    (conf_d / "writers.conf").write_text(rendered)
    main = (DEPLOY / "nginx" / "nginx.conf").read_text()
    main = main.replace("/etc/nginx/conf.d", str(conf_d)).replace(
        "/tmp/nginx", str(directory / "tmp-")
    )
    main = main.replace("pid /tmp/nginx.pid", f"pid {directory / 'nginx.pid'}")
    main = main.replace("include /etc/nginx/mime.types", "include /etc/nginx/mime.types")
    if os.geteuid() == 0:
        main = "user root;\n" + main
    (directory / "nginx.conf").write_text(main)
    return directory / "nginx.conf"


def test_nginx_config_passes_nginx_t(tmp_path):
    nginx = need("nginx")
    conf = render_nginx(
        tmp_path, "127.0.0.1:8000", {"HTTP_PORT": 18080, "HTTPS_PORT": 18443, "STATUS_PORT": 18081}
    )
    result = subprocess.run(
        [nginx, "-t", "-c", conf, "-p", tmp_path, "-e", tmp_path / "error.log"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for var in NGINX_VARS:
        assert (
            f"${{{var}}}" in (DEPLOY / "nginx" / "templates" / "writers.conf.template").read_text()
        )


@pytest.fixture
def exported(db, client, queues, settings) -> set[str]:
    """Every metric name a real scrape of /metrics shows once workers have published."""
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    from prometheus_client.parser import text_string_to_metric_families

    from conftest import make_user
    from tasks_app.models import Task
    from writers import metrics

    metrics.observe_job("tiny.en", "cpu", 1.0, 10.0)
    metrics.count_failure("DECODE_ERROR")
    metrics.count_recovery("requeued")
    metrics.count_attempt()
    metrics.publish_worker(
        "w0",
        {
            "model": "tiny.en",
            "ram_bytes": 1,
            "gpu": 0,
            "vram_used_bytes": 1,
            "vram_total_bytes": 2,
            "gpu_utilization": 1.0,
        },
    )
    Task.objects.create(user=make_user(name="alice"), title="counted")
    client.get("/health")  # so django-prometheus has seen a response
    text = client.get("/metrics").content.decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def referenced(text: str) -> set[str]:
    """Metric names of our own exporter (writers_*, django_*) used in PromQL text."""
    return set(re.findall(r"\b((?:writers|django)_[a-z_]+)", text))


@pytest.mark.parametrize(
    "path", sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")), ids=lambda p: p.name
)
def test_grafana_dashboards_are_valid_and_use_exported_metrics(path: Path, exported: set[str]):
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["panels"]
    exprs = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    assert referenced(exprs) - exported == set()


def test_alert_rules_refer_to_exported_metrics(exported: set[str]):
    used = referenced((DEPLOY / "prometheus" / "alerts.yml").read_text())
    assert used and used - exported == set()


def test_dockerfile_runs_as_non_root_with_a_healthcheck_and_a_gpu_target():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "USER writers" in dockerfile
    assert "HEALTHCHECK" in dockerfile
    assert re.search(r"^FROM .* AS gpu$", dockerfile, re.M)
    assert "collectstatic" in dockerfile


def test_it_lets_nginx_read_the_files_the_web_hands_over():
    """X-Accel-Redirect needs nginx to see STORAGE_ROOT where the web does, as the app's user
    (the files are 0600), and never from outside."""
    services = compose()["services"]
    web, nginx = services["web"], services["nginx"]
    assert web["environment"]["X_ACCEL_REDIRECT"] == "1"
    assert nginx["environment"]["STORAGE_ROOT"] == web["environment"]["STORAGE_ROOT"]
    assert f"storage:{web['environment']['STORAGE_ROOT']}:ro" in nginx["volumes"]
    assert "user writers;" in nginx["command"][-1]
    uid = re.search(r"useradd --system --uid (\d+)", (ROOT / "Dockerfile").read_text())[1]
    assert f"--uid {uid}" in (DEPLOY / "nginx" / "writers-user.sh").read_text()
    template = (DEPLOY / "nginx" / "templates" / "writers.conf.template").read_text()
    assert re.search(r"location /protected/ \{\s*internal;\s*alias \$\{STORAGE_ROOT\}/;", template)


def test_the_web_master_loads_and_freezes_the_app_before_its_workers_fork():
    # Shared pages instead of a copy per worker (issue 18's "Lighter processes").
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["preload_app"] is True
    gc.unfreeze()
    try:
        conf["when_ready"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_web_worker_told_to_stop_while_it_boots_stops_at_once(tmp_path: Path):
    """The web stopped right after it started (a deploy, a test's teardown) exits in seconds.

    The wrapped post_fork holds the worker before its guard as a busy host's scheduler may, so
    the master's SIGTERM reaches it before it has handlers of its own: without the guard the
    worker booted and the master waited graceful_timeout (150 s) to kill it."""
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(
        "import runpy, time\n"
        f"globals().update(runpy.run_path({str(DEPLOY / 'gunicorn.conf.py')!r}))\n"
        "deployed_post_fork = post_fork\n"
        "def post_fork(server, worker):\n"
        "    time.sleep(2)\n"
        "    deployed_post_fork(server, worker)\n"
    )
    log = tmp_path / "gunicorn.log"
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(conf), "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env={**os.environ, "WEB_CONCURRENCY": "1"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while b"Booting worker" not in log.read_bytes():
            assert web.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.02)
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=20) == 0, log.read_text()
    finally:
        web.kill()
        web.wait()
    assert "Application startup complete" not in log.read_text()
