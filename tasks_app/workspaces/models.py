"""Who works on what: workspaces, their members and roles, and invitations to join one. Every
task belongs to one workspace; every user has a personal one, made with the account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    VIEWER = "viewer", _("Viewer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Admin")


# What each role may do, as the lowest role that may do it (see Membership.allows).
RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def of(self, user: Any) -> WorkspaceQuerySet:
        """The workspaces `user` is a member of."""
        return self.filter(memberships__user=user)

    def with_role(self, user: Any) -> WorkspaceQuerySet:
        """The workspaces `user` is a member of, each with the user's `role` there."""
        return self.of(user).annotate(role=models.F("memberships__role"))


class Workspace(models.Model):
    name = models.CharField(max_length=100)
    # Set on the one workspace made with each account; it cannot be deleted or left.
    personal_owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="personal_workspace",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_personal(self) -> bool:
        return self.personal_owner_id is not None

    @property
    def display_name(self) -> str:
        """The name to show: a personal workspace is "Personal" in the reader's language."""
        return str(_("Personal")) if self.is_personal else self.name

    @property
    def role_label(self) -> str:
        """The reader's role, in words: `role` is annotated by the workspace services'
        workspaces_of() and get_workspace_for_user()."""
        return str(Role(self.role).label)


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.EDITOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workspace", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_once"),
        ]
        # The membership check on every task route and list: (user, workspace) first.
        indexes = [models.Index(fields=["user", "workspace"], name="membership_user_ws")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.workspace_id} ({self.role})"

    def allows(self, role: str) -> bool:
        return role_allows(self.role, role)


class LiveTaskCount(models.Model):
    """How many live (not deleted) tasks a workspace holds, kept by triggers on the task table
    in PostgreSQL (migration 0013), so that the API list's total is a sum over the reader's
    workspaces instead of a count of every task they can see, which grew with the table: 10 000
    index entries read for every list request of a user who sees them all (bench/LOAD.md).

    PostgreSQL only: elsewhere no trigger keeps it, the table stays empty and a list counts its
    tasks. The triggers see every write, the ORM's, the admin's and raw SQL alike; a data-only
    restore with triggers disabled must be followed by `manage.py recount_tasks`."""

    workspace = models.OneToOneField(
        Workspace, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    live = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.live}"


def in_workspaces_of(rows: models.QuerySet[Any], user: Any) -> models.QuerySet[Any]:
    """The rows (of a model with a `workspace`) in the workspaces `user` is a member of, each
    with the user's `role` there: one join, so a list or a lookup asks no query per row."""
    return rows.filter(workspace__memberships__user=user).annotate(
        role=models.F("workspace__memberships__role")
    )


def role_allows(held: str, needed: str) -> bool:
    """Whether a member holding `held` may do what needs `needed`."""
    return RANK[Role(held)] >= RANK[Role(needed)]


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.EDITOR)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open invitation per person and workspace; answered ones stay as history.
            models.UniqueConstraint(
                fields=["workspace", "user"],
                condition=models.Q(status="pending"),
                name="invitation_pending_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} to {self.workspace_id} ({self.status})"

    def answer(self, status: str) -> bool:
        """Move a pending invitation to `status`; False when it was already answered."""
        return (
            Invitation.objects.filter(pk=self.pk, status=self.Status.PENDING).update(
                status=status, responded_at=timezone.now()
            )
            == 1
        )
