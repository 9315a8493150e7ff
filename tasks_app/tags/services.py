"""Tag workflows shared by pages and the API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError

from tasks_app.tags.models import Tag


def tags_in(workspace_id: Any, ids: Iterable[Any], field: str = "tags") -> list[Tag]:
    """The workspace's tags with these ids, in one query; ValidationError naming `field` when
    one is unknown or belongs to another workspace (the same answer: no such tag here)."""
    wanted = {int(i) for i in ids}
    found = list(Tag.objects.filter(workspace_id=workspace_id, pk__in=wanted))
    missing = wanted - {tag.pk for tag in found}
    if missing:
        raise ValidationError(
            {field: [f"No such tag in this workspace: {', '.join(map(str, sorted(missing)))}."]},
            code="unknown_tag",
        )
    return found
