"""WritersAutoSchema: each operation lists the refusals its view's configuration can give, in the
view's error shape, without overriding what the view declares itself."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from django.test import Client


@pytest.fixture(scope="module")
def paths(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        return yaml.safe_load(Client().get("/api/v1/schema/").content)["paths"]


def codes(paths: dict[str, Any], path: str, method: str) -> set[str]:
    return set(paths[path][method]["responses"])


def test_it_lists_what_a_staff_only_view_refuses(paths: dict[str, Any]) -> None:
    assert {"200", "401", "403", "404"} <= codes(paths, "/api/v1/users/{user_id}", "get")
    assert {"400", "415"} <= codes(paths, "/api/v1/users/{user_id}", "patch")


def test_it_lists_body_throttle_and_csrf_refusals_of_sign_in(paths: dict[str, Any]) -> None:
    assert {"200", "400", "401", "403", "415", "429"} <= codes(paths, "/api/v1/auth/login", "post")
    # Anyone may call it: no 401 for lacking a session, and nothing to find.
    assert "404" not in codes(paths, "/api/v1/auth/register", "post")
    assert "401" not in codes(paths, "/api/v1/auth/register", "post")


def test_it_leaves_out_what_a_view_cannot_answer(paths: dict[str, Any]) -> None:
    me = codes(paths, "/api/v1/auth/me", "get")
    assert "401" in me
    assert not {"400", "403", "404", "415", "429"} & me


def test_it_keeps_a_views_own_description(paths: dict[str, Any]) -> None:
    forbidden = paths["/api/v1/tasks/{task_id}"]["get"]["responses"]["403"]
    assert forbidden["description"] == "The task belongs to someone else."


def test_it_documents_openai_refusals_in_openais_shape(paths: dict[str, Any]) -> None:
    responses = paths["/v1/audio/transcriptions"]["post"]["responses"]
    body = responses["415"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/OpenAIError"}
    error = paths["/api/v1/tasks"]["post"]["responses"]["415"]["content"]["application/json"]
    assert error["schema"] == {"$ref": "#/components/schemas/Error"}
