"""Workspace workflows shared by pages and the API: the personal workspace every user has, the
one question every task route asks — may this user see (or change) this? — and the life of a
team workspace: create, rename, delete, change roles, remove, leave (invitations: invitations.py,
apart because they notify, and the notifications reach back to the task models)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, ProtectedError, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.workspaces.models import Membership, Role, Workspace, role_allows

NAME_MAX = 100


class Refused(Exception):
    """A workspace change that cannot be made, with a stable code, a message for people and the
    HTTP status the API answers with (400 bad input, 409 conflicts with the workspace's state)."""

    def __init__(self, code: str, message: str, http_status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def personal_workspace(user: Any) -> Workspace:
    """The user's personal workspace, made (with the user as its admin) on first need."""
    workspace = Workspace.objects.filter(personal_owner=user).first()
    if workspace is not None:
        return workspace
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(
                name=_("Personal"), personal_owner=user, created_by=user
            )
            Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    except IntegrityError:
        # Another request made it first.
        workspace = Workspace.objects.get(personal_owner=user)
    return workspace


def role_in(user: Any, workspace_id: Any) -> str | None:
    """The user's role in the workspace, None when not a member."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Membership.objects.filter(user=user, workspace_id=workspace_id)
        .values_list("role", flat=True)
        .first()
    )


def workspaces_of(user: Any) -> QuerySet[Workspace]:
    """The user's workspaces, personal first, each with `role` (the user's) and `member_count`."""
    mine = Membership.objects.filter(workspace=OuterRef("pk"), user=user).values("role")[:1]
    return (
        Workspace.objects.annotate(role=Subquery(mine), member_count=Count("memberships"))
        .filter(role__isnull=False)
        .order_by(F("personal_owner_id").asc(nulls_last=True), "name", "pk")
    )


def refusal(role: str) -> PermissionDenied:
    return PermissionDenied(
        _("Your role in this workspace (%(role)s) cannot do this.") % {"role": Role(role).label}
    )


def require(held: str, needed: str) -> None:
    """PermissionDenied (403, naming the role) unless a member holding `held` may do what
    needs `needed`."""
    if not role_allows(held, needed):
        raise refusal(held)


def get_workspace_for_user(user: Any, workspace_id: Any, need: str = Role.VIEWER) -> Workspace:
    """A workspace the user is a member of, with `role` and `member_count` on it. Http404 for
    anyone else (a 403 would confirm it exists); PermissionDenied when the role is too low."""
    try:
        pk = int(workspace_id)
    except (TypeError, ValueError) as error:
        raise Http404("No such workspace.") from error
    workspace = workspaces_of(user).filter(pk=pk).first()
    if workspace is None:
        raise Http404("No such workspace.")
    require(workspace.role, need)
    return workspace


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )


def _clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise ValidationError({"name": [_("Give the workspace a name.")]}, code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            {"name": [_("At most %(count)s characters.") % {"count": NAME_MAX}]}, code="max_length"
        )
    return name


def not_personal(workspace: Workspace, message: str) -> None:
    if workspace.is_personal:
        raise Refused("personal_workspace", message)


@transaction.atomic
def create_workspace(user: User, name: str) -> Workspace:
    """A new team workspace; its creator is its first admin."""
    workspace = Workspace.objects.create(name=_clean_name(name), created_by=user)
    Membership.objects.create(workspace=workspace, user=user, role=Role.ADMIN)
    return workspace


def rename_workspace(workspace: Workspace, name: str) -> Workspace:
    not_personal(workspace, _("A personal workspace keeps its name."))
    workspace.name = _clean_name(name)
    workspace.save(update_fields=["name"])
    return workspace


def delete_workspace(workspace: Workspace) -> None:
    """Delete an empty team workspace. Tasks are never deleted with it: one that still holds
    tasks, those in the Trash included, says so instead."""
    not_personal(workspace, _("A personal workspace cannot be deleted."))
    count = workspace.tasks.count()
    if not count:
        try:
            with transaction.atomic():
                workspace.delete()
            return
        except (ProtectedError, IntegrityError):
            # A task arrived between the count and the delete (Task.workspace is PROTECT, and
            # the database's foreign key refuses one that arrives later still).
            count = workspace.tasks.count()
    raise Refused(
        "workspace_not_empty",
        _(
            "This workspace still holds %(count)s tasks (the Trash counts too): delete "
            "them and empty its Trash first."
        )
        % {"count": count},
    )


def get_member(workspace: Workspace, user_id: Any) -> Membership:
    try:
        pk = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError as error:
        raise Http404("No such member.") from error
    membership = (
        Membership.objects.filter(workspace=workspace, user_id=pk).select_related("user").first()
    )
    if membership is None:
        raise Http404("No such member.")
    return membership


def _admins_locked(workspace: Workspace) -> list[int]:
    """The admins' user ids, their rows locked so two admins demoting each other at once cannot
    leave the workspace with none."""
    admins = Membership.objects.select_for_update().filter(workspace=workspace, role=Role.ADMIN)
    return list(admins.values_list("user_id", flat=True))


LAST_ADMIN = "last_admin"


def _last_admin_message() -> str:
    return _("A workspace needs an admin: make another member admin first.")


@transaction.atomic
def change_role(workspace: Workspace, membership: Membership, role: str) -> Membership:
    role = Role(role)
    demoted = membership.role == Role.ADMIN and role != Role.ADMIN
    if demoted and _admins_locked(workspace) == [membership.user_id]:
        raise Refused(LAST_ADMIN, _last_admin_message())
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(workspace: Workspace, membership: Membership) -> int:
    """End a member's access at once (every task route asks for the membership on each request).
    Their tasks stay in the workspace; tasks and schedules assigned to them there are unassigned,
    as nobody outside may do them. Returns how many tasks were unassigned."""
    not_personal(workspace, _("Nobody leaves a personal workspace."))
    if membership.role == Role.ADMIN and _admins_locked(workspace) == [membership.user_id]:
        raise Refused(LAST_ADMIN, _last_admin_message())
    membership.delete()
    workspace.schedules.filter(assignee_id=membership.user_id).update(assignee=None)
    return workspace.tasks.filter(assignee_id=membership.user_id).update(assignee=None)


def leave_workspace(user: Any, workspace: Workspace) -> int:
    return remove_member(workspace, get_member(workspace, user.pk))
