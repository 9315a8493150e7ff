"""The comments on the task page: post (HTMX appends the comment and clears the box; without
JavaScript the form posts and comes back to #comments), edit in place, delete after a confirm."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from accounts.decorators import login_required_page
from tasks_app.comments import services
from tasks_app.comments.models import Comment
from tasks_app.models import Task
from tasks_app.services import get_task_for_user
from writers.confirm import ask_first, confirmed

COMMENT = "tasks_app/comments/_comment.html"
FORM = "tasks_app/comments/_form.html"
EDIT_FORM = "tasks_app/comments/_edit_form.html"


def _back(task: Task, anchor: str = "comments") -> str:
    return reverse("task_detail", args=[task.pk]) + f"#{anchor}"


def _problem(error: ValidationError) -> str:
    return error.message_dict["body"][0]


def _shown(request: HttpRequest, task: Task, comment: Comment) -> HttpResponse:
    services.prepare(comment, request.user, task.role)
    return render(request, COMMENT, {"task": task, "comment": comment})


@login_required_page
@require_POST
def comment_add(request: HttpRequest, task_id: str) -> HttpResponse:
    # Every member comments, viewers too.
    task = get_task_for_user(request.user, task_id)
    typed = request.POST.get("body", "")
    try:
        comment = services.add_comment(task, request.user, typed)
    except ValidationError as error:
        if request.htmx:
            context = {"task": task, "problem": _problem(error), "typed": typed}
            return render(request, FORM, context, status=400)
        messages.error(request, _problem(error))
        return redirect(_back(task, "comment-form"))
    if request.htmx:
        # A fresh form in place of the one sent, and the comment at the end of the list.
        services.prepare(comment, request.user, task.role)
        context = {"task": task, "comment": comment, "appended": True}
        return render(request, FORM, context)
    return redirect(_back(task, f"comment-{comment.pk}"))


@login_required_page
@require_GET
def comment(request: HttpRequest, task_id: str, comment_id: int) -> HttpResponse:
    """One comment as the list shows it: what an edit's Cancel brings back."""
    task = get_task_for_user(request.user, task_id)
    found = services.get_comment(task, comment_id)
    if not request.htmx:
        return redirect(_back(task, f"comment-{found.pk}"))
    return _shown(request, task, found)


@login_required_page
@require_http_methods(["GET", "POST"])
def comment_edit(request: HttpRequest, task_id: str, comment_id: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_id)
    found = services.get_comment(task, comment_id)
    if not services.can_edit(found, request.user):
        raise PermissionDenied(_("Only its author can edit a comment."))
    context: dict[str, Any] = {"task": task, "comment": found, "typed": found.body}
    if request.method == "POST":
        context["typed"] = request.POST.get("body", "")
        try:
            edited = services.edit_comment(found, request.user, context["typed"])
        except ValidationError as error:
            context["problem"] = _problem(error)
        else:
            if request.htmx:
                return _shown(request, task, edited)
            messages.success(request, _("Comment saved."))
            return redirect(_back(task, f"comment-{edited.pk}"))
    status = 400 if context.get("problem") else 200
    if request.htmx:
        return render(request, EDIT_FORM, context, status=status)
    return render(request, "tasks_app/comments/edit.html", context, status=status)


@login_required_page
@require_POST
def comment_delete(request: HttpRequest, task_id: str, comment_id: int) -> HttpResponse:
    task = get_task_for_user(request.user, task_id)
    found = services.get_comment(task, comment_id)
    if not services.can_delete(found, request.user, task.role):
        raise PermissionDenied(_("Only its author or a workspace admin can delete a comment."))
    if not confirmed(request):
        return ask_first(
            request,
            _("Delete this comment? It disappears for everyone."),
            _("Delete"),
            _back(task, f"comment-{found.pk}"),
        )
    services.delete_comment(found, request.user, task.role)
    if request.htmx:
        # The comment's element is swapped for nothing.
        response = HttpResponse("")
        retarget(response, f"#comment-{found.pk}")
        return reswap(response, "outerHTML")
    messages.success(request, _("Comment deleted."))
    return redirect(_back(task))
