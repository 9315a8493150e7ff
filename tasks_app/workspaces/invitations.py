"""Invitations to a team workspace: an admin invites an account by email or username, the
invitee is notified and accepts or declines; an admin may revoke one still pending."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.integrations.models import Notification, TaskEvent
from tasks_app.integrations.notifications import notify_user
from tasks_app.workspaces.models import Invitation, Membership, Role, Workspace, role_allows
from tasks_app.workspaces.services import Refused, not_personal, refusal, role_in


def find_user(who: str) -> User:
    """The active account with this email or username (either, any case)."""
    who = str(who).strip()
    user = (
        User.objects.filter(Q(email__iexact=who) | Q(username__iexact=who), is_active=True).first()
        if who
        else None
    )
    if user is None:
        raise Refused(
            "unknown_user",
            _("No one here has the email or username “%(who)s”: they need an account first.")
            % {"who": who},
            400,
        )
    return user


def invite(inviter: User, workspace: Workspace, who: str, role: str) -> Invitation:
    """Invite the account named by `who` (email or username) to join with `role`; they are
    notified and answer from their notifications. The caller checks the inviter is an admin."""
    not_personal(workspace, _("A personal workspace cannot be shared. Create a team workspace."))
    role = Role(role)
    user = find_user(who)
    if Membership.objects.filter(workspace=workspace, user=user).exists():
        raise Refused(
            "already_member",
            _("%(name)s is already a member of this workspace.") % {"name": user.username},
        )
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                workspace=workspace, user=user, invited_by=inviter, role=role
            )
            notify_user(
                user,
                TaskEvent.Kind.INVITED,
                title=workspace.name,
                actor=inviter,
                invitation=invitation,
            )
    except IntegrityError as error:
        # The one pending invitation per person (a constraint, so two admins at once cannot both).
        raise Refused(
            "already_invited",
            _("%(name)s already has an invitation to this workspace waiting.")
            % {"name": user.username},
        ) from error
    return invitation


def pending_invitations_for(user: Any) -> QuerySet[Invitation]:
    """Invitations waiting for the user's answer."""
    return Invitation.objects.filter(user=user, status=Invitation.Status.PENDING).select_related(
        "workspace", "invited_by"
    )


def pending_invitations_of(workspace: Workspace) -> QuerySet[Invitation]:
    """Invitations the workspace's admins have sent and nobody has answered yet."""
    return Invitation.objects.filter(
        workspace=workspace, status=Invitation.Status.PENDING
    ).select_related("user", "invited_by")


def sent_invitations(user: Any) -> QuerySet[Invitation]:
    """Pending invitations to the workspaces where the user is an admin."""
    return Invitation.objects.filter(
        status=Invitation.Status.PENDING,
        workspace__memberships__user=user,
        workspace__memberships__role=Role.ADMIN,
    ).select_related("workspace", "user", "invited_by")


def get_invitation_for_user(user: Any, invitation_id: Any) -> Invitation:
    """An invitation to the user, or one to a workspace the user is a member of (so its admins
    may revoke it); Http404 for anyone else."""
    try:
        pk = int(invitation_id)
    except (TypeError, ValueError) as error:
        raise Http404("No such invitation.") from error
    invitation = (
        Invitation.objects.filter(pk=pk)
        .filter(Q(user=user) | Q(workspace__memberships__user=user))
        .select_related("workspace", "user", "invited_by")
        .distinct()
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def _answer(user: Any, invitation: Invitation, status: str) -> None:
    if invitation.user_id != user.pk:
        raise PermissionDenied(_("Only the person invited can answer an invitation."))
    if not invitation.answer(status):
        raise Refused("already_answered", _("This invitation was already answered or revoked."))
    # Answered is read: the header's count should not keep asking.
    Notification.objects.filter(invitation=invitation, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def accept_invitation(user: Any, invitation: Invitation) -> Membership:
    """Join the workspace with the invitation's role. Once: a second accept (another tab, a
    double click) finds the invitation answered and is refused."""
    _answer(user, invitation, Invitation.Status.ACCEPTED)
    membership, _created = Membership.objects.get_or_create(
        workspace_id=invitation.workspace_id, user=user, defaults={"role": invitation.role}
    )
    return membership


def decline_invitation(user: Any, invitation: Invitation) -> None:
    _answer(user, invitation, Invitation.Status.DECLINED)


def revoke_invitation(user: Any, invitation: Invitation) -> None:
    """Withdraw a pending invitation (an admin of its workspace)."""
    role = role_in(user, invitation.workspace_id)
    if role is None:
        raise Http404("No such invitation.")
    if not role_allows(role, Role.ADMIN):
        raise refusal(role)
    if not invitation.answer(Invitation.Status.REVOKED):
        raise Refused("already_answered", _("This invitation was already answered or revoked."))
