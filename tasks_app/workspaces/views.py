"""Pages for workspaces: the list with a create form (/workspaces), one workspace with its members
and, for admins, invite / change role / remove / rename / delete (/workspaces/<id>), and the
invitations to answer (/workspaces/invitations). Every form posts without JavaScript; answering an
invitation from the notifications page swaps the answer in place with htmx."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import login_required_page
from tasks_app.workspaces import invitations, services
from tasks_app.workspaces.models import Role, Workspace
from writers.confirm import ask_first, confirmed


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Workspace name"), max_length=services.NAME_MAX)


class InviteForm(forms.Form):
    user = forms.CharField(label=gettext_lazy("Email or username"), max_length=254)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.EDITOR)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


@login_required_page
@require_http_methods(["GET", "POST"])
def workspaces_page(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.create_workspace(request.user, form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Workspace “%(name)s” created.") % {"name": workspace})
            return redirect("workspace", workspace.pk)
    context = {
        "workspaces": services.workspaces_of(request.user),
        "form": form,
        "invitation_count": invitations.pending_invitations_for(request.user).count(),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "tasks_app/workspaces/workspaces.html", context, status=status)


def _workspace_page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    rename_form: forms.Form | None = None,
    invite_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    is_admin = workspace.role == Role.ADMIN
    context = {
        "workspace": workspace,
        "is_admin": is_admin,
        "members": services.members_of(workspace),
        "roles": Role.choices,
        "invitations": invitations.pending_invitations_of(workspace) if is_admin else [],
        "rename_form": rename_form or WorkspaceForm(initial={"name": workspace.name}),
        "invite_form": invite_form or InviteForm(),
    }
    return render(request, "tasks_app/workspaces/workspace.html", context, status=status)


@login_required_page
@require_GET
def workspace_page(request: HttpRequest, workspace_id: int) -> HttpResponse:
    return _workspace_page(request, services.get_workspace_for_user(request.user, workspace_id))


def _back(workspace: Workspace) -> HttpResponse:
    return redirect("workspace", workspace.pk)


@login_required_page
@require_POST
def workspace_rename(request: HttpRequest, workspace_id: int) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
    form = WorkspaceForm(request.POST)
    if form.is_valid():
        try:
            services.rename_workspace(workspace, form.cleaned_data["name"])
        except ValidationError as error:
            _add_errors(form, error)
        except services.Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("Workspace renamed."))
            return _back(workspace)
    return _workspace_page(request, workspace, rename_form=form, status=400)


@login_required_page
@require_POST
def workspace_delete(request: HttpRequest, workspace_id: int) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
    if not confirmed(request):
        question = _("Delete the workspace “%(name)s”?") % {"name": workspace.display_name}
        back = reverse("workspace", args=[workspace.pk])
        return ask_first(request, question, _("Delete"), back)
    try:
        services.delete_workspace(workspace)
    except services.Refused as refused:
        messages.error(request, refused.message)
        return _back(workspace)
    messages.success(request, _("Workspace “%(name)s” deleted.") % {"name": workspace.name})
    return redirect("workspaces")


@login_required_page
@require_POST
def workspace_invite(request: HttpRequest, workspace_id: int) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invitations.invite(
                request.user, workspace, form.cleaned_data["user"], form.cleaned_data["role"]
            )
        except services.Refused as refused:
            form.add_error("user", refused.message)
        else:
            messages.success(
                request,
                _("%(name)s is invited as %(role)s. They answer from their notifications.")
                % {"name": invitation.user.username, "role": Role(invitation.role).label},
            )
            return _back(workspace)
    return _workspace_page(request, workspace, invite_form=form, status=400)


@login_required_page
@require_POST
def member_role(request: HttpRequest, workspace_id: int, user_id: uuid.UUID) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
    member = services.get_member(workspace, user_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return _back(workspace)
    try:
        services.change_role(workspace, member, form.cleaned_data["role"])
    except services.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("%(name)s is now %(role)s.")
            % {"name": member.user.username, "role": Role(member.role).label},
        )
    return _back(workspace)


def _removal(request: HttpRequest, workspace: Workspace, user_id: Any, *, leaving: bool) -> Any:
    """Remove a member (or the caller, leaving) after asking; a refusal goes back with why."""
    member = services.get_member(workspace, user_id)
    if not confirmed(request):
        if leaving:
            question = _("Leave “%(name)s”? You lose access to its tasks at once.") % {
                "name": workspace.display_name
            }
            action = _("Leave")
        else:
            question = _(
                "Remove %(user)s from “%(name)s”? They lose access at once and their tasks "
                "there are unassigned."
            ) % {"user": member.user.username, "name": workspace.display_name}
            action = _("Remove")
        return ask_first(request, question, action, reverse("workspace", args=[workspace.pk]))
    try:
        services.remove_member(workspace, member)
    except services.Refused as refused:
        messages.error(request, refused.message)
        return _back(workspace)
    if leaving:
        messages.success(request, _("You left “%(name)s”.") % {"name": workspace.name})
        return redirect("workspaces")
    messages.success(request, _("%(name)s was removed.") % {"name": member.user.username})
    return _back(workspace)


@login_required_page
@require_POST
def member_remove(request: HttpRequest, workspace_id: int, user_id: uuid.UUID) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id, Role.ADMIN)
    return _removal(request, workspace, user_id, leaving=user_id == request.user.pk)


@login_required_page
@require_POST
def workspace_leave(request: HttpRequest, workspace_id: int) -> HttpResponse:
    workspace = services.get_workspace_for_user(request.user, workspace_id)
    return _removal(request, workspace, request.user.pk, leaving=True)


@login_required_page
@require_GET
def invitations_page(request: HttpRequest) -> HttpResponse:
    context = {
        "received": invitations.pending_invitations_for(request.user),
        "sent": invitations.sent_invitations(request.user),
    }
    return render(request, "tasks_app/workspaces/invitations.html", context)


def _answer(request: HttpRequest, invitation_id: int, accept: bool) -> HttpResponse:
    invitation = invitations.get_invitation_for_user(request.user, invitation_id)
    error = ""
    try:
        if accept:
            invitations.accept_invitation(request.user, invitation)
        else:
            invitations.decline_invitation(request.user, invitation)
    except services.Refused as refused:
        error = refused.message
    invitation.refresh_from_db()
    if request.htmx:
        context = {"invitation": invitation, "error": error}
        response = render(request, "tasks_app/workspaces/_invitation_answer.html", context)
        # Its notification is read now: the header's badge refreshes itself on this event.
        response["HX-Trigger"] = "notifications-read"
        return response
    if error:
        messages.error(request, error)
        return redirect("invitations")
    name = invitation.workspace.name
    if accept:
        messages.success(request, _("You joined “%(name)s”.") % {"name": name})
        return redirect("workspace", invitation.workspace_id)
    messages.success(request, _("Invitation to “%(name)s” declined.") % {"name": name})
    return redirect("invitations")


@login_required_page
@require_POST
def invitation_accept(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer(request, invitation_id, accept=True)


@login_required_page
@require_POST
def invitation_decline(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _answer(request, invitation_id, accept=False)


@login_required_page
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = invitations.get_invitation_for_user(request.user, invitation_id)
    try:
        invitations.revoke_invitation(request.user, invitation)
    except services.Refused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("Invitation for %(name)s revoked.") % {"name": invitation.user.username}
        )
    return redirect("workspace", invitation.workspace_id)
