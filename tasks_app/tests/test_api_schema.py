"""The OpenAPI schema, Swagger UI and ReDoc: generated without warnings, served without a CDN."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client

from tasks_app import api_urls


def test_it_generates_the_schema_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    for pattern in api_urls.urlpatterns:
        documented = "/api/v1/" + re.sub(r"<\w+:(\w+)>", r"{\1}", str(pattern.pattern))
        assert documented in paths


def test_it_documents_upload_statuses_and_download_formats(db: None) -> None:
    schema = yaml.safe_load(Client().get("/api/v1/schema/").content)
    create = schema["paths"]["/api/v1/tasks"]["post"]
    assert {"201", "202", "413", "415", "422"} <= set(create["responses"])
    assert "multipart/form-data" in create["requestBody"]["content"]
    result = schema["paths"]["/api/v1/tasks/{task_id}/result"]["get"]
    [fmt] = [p for p in result["parameters"] if p["name"] == "format"]
    assert set(fmt["schema"]["enum"]) == {"txt", "srt", "vtt", "tsv", "json", "docx"}
    assert "version" in {p["name"] for p in result["parameters"]}


@pytest.mark.parametrize("url", ["/docs", "/redoc"])
def test_it_serves_the_docs_from_local_assets(url: str, db: None) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar" in html
    assert "cdn." not in html and "unpkg" not in html
