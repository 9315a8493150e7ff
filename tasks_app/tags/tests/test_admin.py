"""Tags in /admin/: listed with their workspace, filtered by it, searched by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.models import User
from tasks_app.tags.models import Tag
from tasks_app.workspaces.services import personal_workspace


def test_it_lists_filters_and_searches_tags(
    staff: User, alice: User, team: Any, make_tag: Callable[..., Tag]
) -> None:
    make_tag(team, "Sport")
    make_tag(personal_workspace(alice), "Politics")
    client = Client()
    client.force_login(staff)
    html = client.get("/admin/tasks_app/tag/").content.decode()
    assert "Sport" in html and "Politics" in html and "Newsroom" in html
    filtered = client.get(f"/admin/tasks_app/tag/?workspace__id__exact={team.pk}").content.decode()
    assert "Sport" in filtered and "Politics" not in filtered
    found = client.get("/admin/tasks_app/tag/?q=polit").content.decode()
    assert "Politics" in found and "Sport" not in found
