"""GET /api/v1/analytics/overview: one workspace's figures for its members, every workspace of
the user's without one, the whole site for staff; JWT or API token alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tasks_app.analytics.tests.conftest import transcription
from tasks_app.models import Status, Task

URL = "/api/v1/analytics/overview"


@pytest.fixture
def figures(alice: Any, bob: Any, charlie: Any, team: Any) -> None:
    transcription(alice, workspace=team, duration=120.0)
    transcription(
        bob, workspace=team, duration=180.0, started_at=timezone.now() - timedelta(seconds=20)
    )
    transcription(bob, Status.FAILED, workspace=team, error_code="DECODE_ERROR")
    Task.objects.create(user=alice, workspace=team, title="To-do")
    transcription(alice, title="Alice's personal")
    transcription(charlie, duration=6000.0)
    old = transcription(alice, workspace=team)
    Task.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))


def test_it_sums_up_a_workspace(
    script: Callable[..., APIClient], figures: None, alice: Any, team: Any
) -> None:
    response = script(alice).get(URL, {"workspace": team.pk})
    assert response.status_code == 200
    body = response.json()
    assert body["workspace"] == {"id": team.pk, "name": "Newsroom", "personal": False}
    assert body["everyone"] is False
    assert body["days"] == 30
    assert body["since"] == (timezone.localdate() - timedelta(days=29)).isoformat()
    assert body["until"] == timezone.localdate().isoformat()
    assert body["total"] == 4  # the task of 40 days ago is outside the window
    assert body["by_status"]["COMPLETED"] == 2 and body["by_status"]["FAILED"] == 1
    assert body["by_kind"]["todo"] == 1 and body["by_kind"]["transcription"] == 3
    assert body["failures"] == [{"error_code": "DECODE_ERROR", "count": 1}]
    assert body["audio_minutes"] == 5.0
    assert body["real_time_factor"] == 10.0  # 300 s of audio in 30 s of processing


@pytest.mark.parametrize("member", ["bob", "dave"])
def test_every_member_may_read_it(
    api: Callable[..., APIClient], figures: None, team: Any, member: str, request: Any
) -> None:
    response = api(request.getfixturevalue(member)).get(URL, {"workspace": team.pk})
    assert response.json()["total"] == 4


def test_without_a_workspace_it_counts_every_workspace_of_the_user(
    script: Callable[..., APIClient], figures: None, alice: Any, bob: Any
) -> None:
    assert script(alice).get(URL).json()["total"] == 5  # the team's 4 and her personal one
    assert script(bob).get(URL, {"days": 365}).json()["total"] == 4 + 1  # with the old one


def test_staff_see_the_whole_site_or_any_workspace(
    script: Callable[..., APIClient], figures: None, staff: Any, team: Any
) -> None:
    body = script(staff).get(URL).json()
    assert body["everyone"] is True and body["workspace"] is None
    assert body["total"] == 6
    assert script(staff).get(URL, {"workspace": team.pk}).json()["total"] == 4


def test_it_hides_a_workspace_from_non_members_as_if_it_did_not_exist(
    script: Callable[..., APIClient], charlie: Any, team: Any
) -> None:
    client = script(charlie)
    hidden = client.get(URL, {"workspace": team.pk})
    missing = client.get(URL, {"workspace": team.pk + 1000})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert client.get(URL, {"workspace": 2**64}).json() == missing.json()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"days": "0"}, "days"),
        ({"days": "366"}, "days"),
        ({"days": "week"}, "days"),
        ({"workspace": "newsroom"}, "workspace"),
        ({"workspace": "0"}, "workspace"),
    ],
)
def test_it_names_the_field_of_bad_input(
    api: Callable[..., APIClient], alice: Any, query: dict[str, str], field: str
) -> None:
    response = api(alice).get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == ["detail", field]


def test_it_requires_authentication(api: Callable[..., APIClient], db: None) -> None:
    response = api(None).get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_every_analytics_route_is_documented(client: Any, db: None) -> None:
    import yaml

    from tasks_app.analytics import api_urls

    paths = yaml.safe_load(client.get("/api/v1/schema/").content)["paths"]
    for pattern in api_urls.urlpatterns:
        operation = paths[f"/api/v1/{pattern.pattern}"]["get"]
        assert {"200", "400", "401", "404"} <= set(operation["responses"])
    users = paths["/api/v1/analytics/users"]["get"]
    assert "403" in users["responses"]
    assert {p["name"] for p in users["parameters"]} == {"workspace", "days"}
