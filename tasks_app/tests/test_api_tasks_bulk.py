"""POST /api/v1/tasks/bulk: up to 100 to-dos, all or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.test import APIClient

from accounts.models import User
from tasks_app.models import Kind, Task

URL = "/api/v1/tasks/bulk"


def test_it_creates_many_todos_at_once(alice: User, api: Callable[..., APIClient]) -> None:
    items = [{"title": f"Item {n}"} for n in range(100)]
    items[0]["due_date"] = "2026-12-24T18:00:00Z"
    response = api(alice).post(URL, {"tasks": items}, format="json")
    assert response.status_code == 201
    assert response.json()["total"] == 100
    assert Task.objects.filter(user=alice, kind=Kind.TODO).count() == 100


def test_it_creates_nothing_when_one_item_is_invalid(
    alice: User, api: Callable[..., APIClient]
) -> None:
    items = [{"title": "Fine"}, {"title": ""}, {"title": "x" * 300}]
    response = api(alice).post(URL, {"tasks": items}, format="json")
    assert response.status_code == 400
    assert "tasks" in response.json()
    assert not Task.objects.exists()


def test_it_refuses_more_than_100_or_none(alice: User, api: Callable[..., APIClient]) -> None:
    too_many = [{"title": f"Item {n}"} for n in range(101)]
    assert api(alice).post(URL, {"tasks": too_many}, format="json").status_code == 400
    assert api(alice).post(URL, {"tasks": []}, format="json").status_code == 400
    assert api(alice).post(URL, {"tasks": "nope"}, format="json").status_code == 400
    assert not Task.objects.exists()


def test_it_refuses_an_oversize_json_body_before_reading_it(
    alice: User, api: Callable[..., APIClient], settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    items = [{"title": f"Item {n}", "description": "x" * 50} for n in range(20)]
    response = api(alice).post(URL, {"tasks": items}, format="json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The request body is too large."
    assert not Task.objects.exists()
