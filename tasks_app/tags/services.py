"""Tag workflows shared by pages and the API: a workspace's tags with their task counts, create,
rename and recolour, merge, delete, and putting tags on tasks and taking them off.

Any member may read a workspace's tags; changing them (and the tags on a task) needs an editor.
A tag of a workspace the user is not a member of is answered as missing (Http404), like a task.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tasks_app.models import Task
from tasks_app.schedules.models import Schedule
from tasks_app.tags.models import COLOR, Tag
from tasks_app.workspaces.models import Role, Workspace, in_workspaces_of
from tasks_app.workspaces.services import require, role_in

NAME_MAX = 50
# A new tag without a colour gets one of these, picked by its name (the same name, the same
# colour, in every workspace). Any colour reads at 4.5:1 or more with the black or white text
# Tag.text_color picks; these are distinct enough to tell apart at a glance.
PALETTE = (
    "#dc2626",
    "#ea580c",
    "#ca8a04",
    "#16a34a",
    "#0d9488",
    "#0284c7",
    "#4f46e5",
    "#9333ea",
    "#db2777",
    "#64748b",
)


class TagExists(Exception):
    """Another tag of the workspace already has this name (case aside): 409 `tag_exists`."""

    code = "tag_exists"

    def __init__(self, existing: Tag) -> None:
        self.existing = existing
        self.message = _(
            "A tag named “%(name)s” already exists in this workspace: merge into it instead."
        ) % {"name": existing.name}
        super().__init__(self.message)


def tags_in(workspace_id: Any, ids: Iterable[Any], field: str = "tags") -> list[Tag]:
    """The workspace's tags with these ids, in one query; ValidationError naming `field` when
    one is unknown or belongs to another workspace (the same answer: no such tag here)."""
    try:
        wanted = {int(i) for i in ids}
    except (TypeError, ValueError) as error:
        raise ValidationError({field: ["Give tags by their ids."]}, code="invalid") from error
    found = list(Tag.objects.filter(workspace_id=workspace_id, pk__in=wanted))
    missing = wanted - {tag.pk for tag in found}
    if missing:
        raise ValidationError(
            {field: [f"No such tag in this workspace: {', '.join(map(str, sorted(missing)))}."]},
            code="unknown_tag",
        )
    return found


def tags_for_user(user: Any, workspace_id: Any = None) -> QuerySet[Tag]:
    """The tags of the user's workspaces (of one, when named: ValidationError if the user is
    not a member), each with `task_count` (live tasks) and the user's `role` there, in one
    query, ordered by workspace then name."""
    tags = Tag.objects.filter(workspace__memberships__user=getattr(user, "pk", None))
    if workspace_id not in (None, ""):
        if role_in(user, int_or_none(workspace_id)) is None:
            raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
        tags = tags.filter(workspace_id=int(workspace_id))
    return tags.annotate(
        role=F("workspace__memberships__role"),
        task_count=Count("tasks", filter=Q(tasks__deleted_at__isnull=True), distinct=True),
    ).order_by("workspace_id", "name", "pk")


def get_tag_for_user(user: Any, tag_id: Any, need: str = Role.VIEWER) -> Tag:
    """A tag of one of the user's workspaces whose role there allows `need`; Http404 for a tag
    that does not exist or is in someone else's workspace, PermissionDenied for a viewer's
    change. One query; the role is left on `tag.role`."""
    pk = int_or_none(tag_id)
    if pk is None or not getattr(user, "is_authenticated", False):
        raise Http404("No such tag.")
    try:
        tag = in_workspaces_of(Tag.objects, user).select_related("workspace").get(pk=pk)
    except Tag.DoesNotExist as error:
        raise Http404("No such tag.") from error
    require(tag.role, need)
    return tag


def workspace_for_tags(user: Any, workspace_id: Any, need: str = Role.VIEWER) -> Workspace:
    """A workspace of the user for the tag pages; Http404 for anyone else's."""
    pk = int_or_none(workspace_id)
    workspace = (
        Workspace.objects.with_role(user).filter(pk=pk).first()
        if pk is not None and getattr(user, "is_authenticated", False)
        else None
    )
    if workspace is None:
        raise Http404("No such workspace.")
    require(workspace.role, need)
    return workspace


def create_tag(user: Any, workspace_id: Any, name: Any, color: Any = "") -> Tag:
    """A new tag in the workspace, where the user must be an editor or admin. ValidationError
    for a bad name or colour or a workspace the user is not in; TagExists when the name is
    taken (case aside)."""
    pk = int_or_none(workspace_id)
    role = role_in(user, pk) if pk is not None else None
    if role is None:
        raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
    require(role, Role.EDITOR)
    name = clean_name(name)
    color = clean_color(color) or default_color(name)
    tag = Tag(workspace_id=pk, name=name, color=color)
    return _save(tag)


def update_tag(tag: Tag, *, name: Any = None, color: Any = None) -> Tag:
    """Rename and/or recolour; TagExists when the new name is another tag's."""
    if name is not None:
        tag.name = clean_name(name)
    if color is not None:
        tag.color = clean_color(color) or tag.color
    return _save(tag)


def delete_tag(tag: Tag) -> None:
    """Delete the tag; the tasks (and schedules) that carried it lose it, nothing else."""
    Task.objects.filter(tags=tag).update(updated_at=timezone.now())
    tag.delete()


def merge_tags(tag: Tag, into: Tag) -> Tag:
    """Put `into` on every task (and schedule) that carries `tag`, then delete `tag`. Both must
    be tags of one workspace; a task carrying both keeps one `into`."""
    if into.pk == tag.pk:
        raise ValidationError({"into": ["A tag cannot be merged into itself."]}, code="same_tag")
    if into.workspace_id != tag.workspace_id:
        raise ValidationError({"into": ["No such tag in this workspace."]}, code="unknown_tag")
    with transaction.atomic():
        for through in (Task.tags.through, Schedule.tags.through):
            owner = "task_id" if through is Task.tags.through else "schedule_id"
            owners = through.objects.filter(tag_id=tag.pk).values_list(owner, flat=True)
            through.objects.bulk_create(
                [through(**{owner: pk, "tag_id": into.pk}) for pk in owners],
                ignore_conflicts=True,
            )
        Task.objects.filter(tags=tag).update(updated_at=timezone.now())
        tag.delete()
    return into


def add_tag(task: Task, tag_id: Any) -> Tag:
    """Put a tag of the task's workspace on it (again is no change)."""
    if tag_id in (None, ""):
        raise ValidationError({"tag": ["Choose a tag."]}, code="required")
    [tag] = tags_in(task.workspace_id, [tag_id], field="tag")
    task.tags.add(tag)
    _touch(task)
    return tag


def add_tag_by_name(user: Any, task: Task, name: Any) -> Tag:
    """Put the workspace's tag with this name (case aside) on the task, making the tag first
    when there is none: what the task card's "Add tag" box does."""
    name = clean_name(name)
    tag = Tag.objects.filter(workspace_id=task.workspace_id, name__iexact=name).first()
    if tag is None:
        try:
            tag = create_tag(user, task.workspace_id, name)
        except TagExists as exists:
            # Someone made it a moment ago.
            tag = exists.existing
    task.tags.add(tag)
    _touch(task)
    return tag


def remove_tag(task: Task, tag_id: Any) -> bool:
    """Take the tag off the task; False when it did not carry it (which is no error: the task
    is left without it either way)."""
    pk = int_or_none(tag_id)
    removed = pk is not None and Task.tags.through.objects.filter(task=task, tag_id=pk).delete()[0]
    if removed:
        _touch(task)
    return bool(removed)


def clean_name(name: Any) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": [_("Give the tag a name.")]}, code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            {"name": [_("A tag name has at most %(max)d characters.") % {"max": NAME_MAX}]},
            code="max_length",
        )
    return name


def clean_color(color: Any) -> str:
    """The colour as lowercase #rrggbb; "" when none was given."""
    color = str(color or "").strip().lower()
    if not color:
        return ""
    try:
        COLOR(color)
    except ValidationError as error:
        raise ValidationError(
            {"color": [_("Give the colour as #rrggbb, like #16a34a.")]}, code="invalid"
        ) from error
    return color


def default_color(name: str) -> str:
    return PALETTE[zlib.crc32(name.casefold().encode()) % len(PALETTE)]


def _save(tag: Tag) -> Tag:
    taken = (
        Tag.objects.filter(workspace_id=tag.workspace_id, name__iexact=tag.name)
        .exclude(pk=tag.pk)
        .first()
    )
    if taken is not None:
        raise TagExists(taken)
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        # Made by someone else between the check and the save.
        taken = Tag.objects.filter(workspace_id=tag.workspace_id, name__iexact=tag.name).first()
        if taken is None:
            raise
        raise TagExists(taken) from None
    return tag


def _touch(task: Task) -> None:
    Task.objects.filter(pk=task.pk).update(updated_at=timezone.now())


def int_or_none(value: Any) -> int | None:
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None
