"""Workspace workflows shared by pages and the API: the personal workspace every user has, and
the one question every task route asks — may this user see (or change) this?"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tasks_app.workspaces.models import Membership, Role, Workspace


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
