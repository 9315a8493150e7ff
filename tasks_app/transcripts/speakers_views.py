"""The task page's "Label speakers automatically" form (templates/tasks_app/transcripts/
_speakers_form.html): ask for labels, and follow the job until they land in the transcript."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import login_required_page
from tasks_app import services
from tasks_app.models import MAX_SPEAKERS, Task
from tasks_app.templatetags.transcripts import workspace_context

FORM = "tasks_app/transcripts/_speakers_form.html"
WORKSPACE = "tasks_app/transcripts/_workspace.html"


def _refusal(refusal: services.NotLabellable) -> str:
    """The service's refusal in the reader's language."""
    if refusal.code == "file_gone":
        return _("The audio of this task was deleted, so its speakers cannot be told apart.")
    if refusal.code == "speakers_busy":
        return _("Speaker labelling is already on its way.")
    return _("Only a completed transcription can get speaker labels.")


def _form(request: HttpRequest, task: Task, status: int = 200, **state: object) -> HttpResponse:
    if request.htmx:
        return render(request, FORM, {"task": task, **state}, status=status)
    if state.get("problem"):
        messages.error(request, str(state["problem"]))
    return redirect(reverse("task_detail", args=[task.pk]) + "#speakers")


@login_required_page
@require_POST
def label_speakers(request: HttpRequest, task_id: str) -> HttpResponse:
    """Queue automatic speaker labels for the number of speakers typed."""
    task = services.get_task_to_change(request.user, task_id)
    typed = request.POST.get("speakers", "")
    try:
        queued = services.request_speakers(task, typed)
    except ValidationError:
        problem = _("Type a whole number of speakers from 1 to %(most)s.") % {"most": MAX_SPEAKERS}
        return _form(request, task, 400, problem=problem, typed=typed)
    except services.NotLabellable as refusal:
        return _form(request, task, 409, problem=_refusal(refusal), typed=typed)
    if not queued:
        problem = _("Speaker labelling could not be queued; try again shortly.")
        return _form(request, task, 503, problem=problem, typed=typed)
    return _form(request, task)


@login_required_page
@require_GET
def speakers_status(request: HttpRequest, task_id: str) -> HttpResponse:
    """The form's poll while labelling is on its way; once it is over, the whole workspace,
    so the new labels show in the transcript without a reload."""
    task = services.get_task_for_user(request.user, task_id)
    if not request.htmx:
        return redirect(reverse("task_detail", args=[task.pk]) + "#speakers")
    if task.speakers_busy():
        return render(request, FORM, {"task": task})
    response = render(request, WORKSPACE, workspace_context(task))
    response["HX-Retarget"] = "#workspace-body"
    response["HX-Reselect"] = "#workspace-body"
    response["HX-Reswap"] = "morph"
    return response
