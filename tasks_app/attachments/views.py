"""The Attachments panel of the task page: attach, delete, send a document to text analysis.

Without JavaScript each form posts and comes back to the task page with a message; with HTMX
the panel is swapped in place, a refusal included (static/js/attachments.js lets it swap)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.decorators import login_required_page
from tasks_app import services
from tasks_app.attachments import services as attachments
from tasks_app.models import Task
from tasks_app.uploads import UploadRejected, limit_upload_size
from writers.confirm import ask_first, confirmed

PANEL = "tasks_app/attachments/_attachments.html"


def _panel(request: HttpRequest, task: Task, status: int = 200, problem: str = "") -> HttpResponse:
    """The panel in place for HTMX; otherwise back to the task page, at the panel."""
    if request.htmx:
        return render(request, PANEL, {"task": task, "problem": problem}, status=status)
    if problem:
        messages.error(request, problem)
    return redirect(reverse("task_detail", args=[task.pk]) + "#attachments")


# The size limit has to be in place before anything reads the body, and CSRF checking reads it,
# so CSRF is checked by hand once the limit is installed (as tasks_app.views.upload does).
@csrf_exempt
@login_required_page
@require_POST
def attachment_add(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_task_to_change(request.user, task_id)
    limit_upload_size(request)
    try:
        return _add(request, task)
    except UploadRejected as rejected:
        # Refused while the body was read (too large): only the reason survives.
        return _panel(request, task, rejected.http_status, rejected.message)


@csrf_protect
def _add(request: HttpRequest, task: Task) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return _panel(request, task, 400, _("Choose a file to attach."))
    try:
        attachment = attachments.add_attachment(task, request.user, upload)
    except UploadRejected as rejected:
        return _panel(request, task, rejected.http_status, rejected.message)
    if not request.htmx:
        messages.success(
            request, _("“%(name)s” attached.") % {"name": attachment.original_filename}
        )
    return _panel(request, task)


@login_required_page
@require_POST
def attachment_delete(request: HttpRequest, task_id: str, attachment_id: str) -> HttpResponse:
    task = services.get_task_to_change(request.user, task_id)
    attachment = attachments.get_attachment(task, attachment_id)
    if not confirmed(request):
        question = _("Delete the attachment “%(name)s” for good?") % {
            "name": attachment.original_filename
        }
        back = reverse("task_detail", args=[task.pk]) + "#attachments"
        return ask_first(request, question, _("Delete"), back)
    attachments.delete_attachment(attachment)
    if not request.htmx:
        messages.success(request, _("“%(name)s” deleted.") % {"name": attachment.original_filename})
    return _panel(request, task)


@login_required_page
@require_POST
def attachment_analyze(request: HttpRequest, task_id: str, attachment_id: str) -> HttpResponse:
    """A new text task from the attachment; its page is where the analysis shows."""
    task = services.get_task_to_change(request.user, task_id)
    attachment = attachments.get_attachment(task, attachment_id)
    try:
        new_task = attachments.analyze_attachment(request.user, attachment)
    except (attachments.NotADocument, attachments.AttachmentGone) as error:
        return _panel(request, task, error.http_status, error.message)
    except UploadRejected as rejected:
        return _panel(request, task, rejected.http_status, rejected.message)
    messages.success(
        request, _("Text analysis started for “%(name)s”.") % {"name": attachment.original_filename}
    )
    target = reverse("task_detail", args=[new_task.pk])
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
