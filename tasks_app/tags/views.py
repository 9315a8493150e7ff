"""The tag pages: a workspace's Tags page (create, rename, recolour, merge, delete) and the tag
chips on a task card or page (add, remove). Forms post and come back without JavaScript; with
HTMX the chips swap in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import login_required_page
from tasks_app.models import Task
from tasks_app.services import get_task_to_change
from tasks_app.tags import services
from tasks_app.tags.models import Tag
from tasks_app.workspaces.models import Role, Workspace, role_allows
from tasks_app.workspaces.services import personal_workspace
from writers.confirm import ask_first, confirmed

PAGE = "tasks_app/tags/page.html"
CHIPS = "tasks_app/tags/_chips.html"


def _problem(error: ValidationError | services.TagExists) -> str:
    if isinstance(error, services.TagExists):
        return error.message
    return " ".join(error.messages)


def _page(
    request: HttpRequest,
    workspace: Workspace,
    *,
    problem: str = "",
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    tags = list(services.tags_for_user(request.user, workspace.pk))
    others = list(Workspace.objects.of(request.user).exclude(pk=workspace.pk))
    context = {
        "workspace": workspace,
        "can_change": role_allows(workspace.role, Role.EDITOR),
        "tags": tags,
        "others": others,
        "problem": problem,
        "typed": typed or {},
        "next_color": services.PALETTE[len(tags) % len(services.PALETTE)],
    }
    return render(request, PAGE, context, status=status)


def _tags_url(workspace_id: int) -> str:
    return reverse("workspace_tags", args=[workspace_id])


@login_required_page
@require_GET
def tags(request: HttpRequest) -> HttpResponse:
    """/tags: the personal workspace's tags (the page links to the others')."""
    return redirect(_tags_url(personal_workspace(request.user).pk))


@login_required_page
@require_http_methods(["GET", "POST"])
def workspace_tags(request: HttpRequest, workspace_id: int) -> HttpResponse:
    need = Role.VIEWER if request.method == "GET" else Role.EDITOR
    workspace = services.workspace_for_tags(request.user, workspace_id, need)
    if request.method == "GET":
        return _page(request, workspace)
    name, color = request.POST.get("name", ""), request.POST.get("color", "")
    try:
        tag = services.create_tag(request.user, workspace.pk, name, color)
    except (ValidationError, services.TagExists) as error:
        typed = {"name": name, "color": color}
        status = 409 if isinstance(error, services.TagExists) else 400
        return _page(request, workspace, problem=_problem(error), typed=typed, status=status)
    messages.success(request, _("Tag “%(name)s” added.") % {"name": tag.name})
    return redirect(_tags_url(workspace.pk))


@login_required_page
@require_POST
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = services.get_tag_for_user(request.user, tag_id, Role.EDITOR)
    try:
        services.update_tag(tag, name=request.POST.get("name"), color=request.POST.get("color"))
    except (ValidationError, services.TagExists) as error:
        status = 409 if isinstance(error, services.TagExists) else 400
        return _page(request, _workspace_of(tag), problem=_problem(error), status=status)
    messages.success(request, _("Tag “%(name)s” saved.") % {"name": tag.name})
    return redirect(_tags_url(tag.workspace_id))


@login_required_page
@require_POST
def tag_merge(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = services.get_tag_for_user(request.user, tag_id, Role.EDITOR)
    into = Tag.objects.filter(
        pk=services.int_or_none(request.POST.get("into")), workspace_id=tag.workspace_id
    ).first()
    if into is None or into.pk == tag.pk:
        problem = _("Choose another tag of this workspace to merge into.")
        return _page(request, _workspace_of(tag), problem=problem, status=400)
    if not confirmed(request):
        question = _(
            "Merge “%(tag)s” into “%(into)s”? Its tasks get “%(into)s” and “%(tag)s” is deleted."
        ) % {"tag": tag.name, "into": into.name}
        return ask_first(request, question, _("Merge"), _tags_url(tag.workspace_id))
    services.merge_tags(tag, into)
    messages.success(
        request, _("“%(tag)s” merged into “%(into)s”.") % {"tag": tag.name, "into": into.name}
    )
    return redirect(_tags_url(tag.workspace_id))


@login_required_page
@require_POST
def tag_delete(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = services.get_tag_for_user(request.user, tag_id, Role.EDITOR)
    if not confirmed(request):
        question = _("Delete the tag “%(name)s”? The tasks that carry it lose it.") % {
            "name": tag.name
        }
        return ask_first(request, question, _("Delete"), _tags_url(tag.workspace_id))
    services.delete_tag(tag)
    messages.success(request, _("Tag “%(name)s” deleted.") % {"name": tag.name})
    return redirect(_tags_url(tag.workspace_id))


def _workspace_of(tag: Tag) -> Workspace:
    workspace = tag.workspace
    workspace.role = tag.role  # type: ignore[attr-defined]
    return workspace


def _chips(
    request: HttpRequest, task: Task, *, problem: str = "", typed: str = "", status: int = 200
) -> HttpResponse:
    """The chips again for HTMX; without JavaScript, back to the page the form was on."""
    if request.htmx:
        task.role = Role.EDITOR  # type: ignore[attr-defined] - it passed get_task_to_change
        # The page the chips are on, for the plain forms they hold (not this POST's address).
        next_page = request.POST.get("next", "")
        context: dict[str, Any] = {
            "task": task,
            "problem": problem,
            "typed": typed,
            "next": next_page if next_page.startswith("/") else "",
        }
        return render(request, CHIPS, context, status=status)
    if problem:
        messages.error(request, problem)
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("task_detail", task.pk)


@login_required_page
@require_POST
def task_tag_add(request: HttpRequest, task_id: str) -> HttpResponse:
    task = get_task_to_change(request.user, task_id)
    name = request.POST.get("name", "")
    try:
        if request.POST.get("tag"):
            services.add_tag(task, request.POST["tag"])
        else:
            services.add_tag_by_name(request.user, task, name)
    except (ValidationError, services.TagExists) as error:
        return _chips(request, task, problem=_problem(error), typed=name, status=400)
    return _chips(request, task)


@login_required_page
@require_POST
def task_tag_remove(request: HttpRequest, task_id: str, tag_id: int) -> HttpResponse:
    task = get_task_to_change(request.user, task_id)
    services.remove_tag(task, tag_id)
    return _chips(request, task)
