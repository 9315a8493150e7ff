"""The transcript workspace on the task page: edit a segment in place, split, merge, delete,
assign and rename speakers, find and replace, restore a revision.

Every change goes through tasks_app.transcripts.services with the version the page showed, so
a change made to a transcript someone else has changed since is refused (409) with the current
transcript and the user's own text, never saved over theirs. HTMX requests get the workspace
back (the page swaps its body in place); without JavaScript the forms post and come back to
the task page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reselect, reswap, retarget

from accounts.decorators import login_required_page
from tasks_app.models import Task
from tasks_app.services import get_task_for_user
from tasks_app.templatetags.transcripts import workspace_context
from tasks_app.transcripts import services
from tasks_app.transcripts.operations import matches
from tasks_app.transcripts.services import (
    InvalidOperation,
    NotEditable,
    NotReady,
    StaleVersion,
)
from tasks_app.workspaces.models import Role

WORKSPACE = "tasks_app/transcripts/_workspace.html"
PAGE = "tasks_app/transcripts/page.html"


def _task(request: HttpRequest, task_id: str) -> Task:
    # Reading the workspace is for every member; every POST here changes the transcript.
    need = Role.VIEWER if request.method in ("GET", "HEAD") else Role.EDITOR
    return get_task_for_user(request.user, task_id, need)


def _segment(task: Task, segment_id: int) -> dict[str, Any] | None:
    """The segment as it is now; None once it is gone (deleted, merged away)."""
    try:
        transcript = services.current(task)
    except NotReady as error:
        raise Http404(error.message) from error
    return next((s for s in transcript.segments if s["id"] == segment_id), None)


def _gone(request: HttpRequest, task: Task) -> HttpResponse:
    """A segment the page still shows is no longer there: most likely someone else deleted or
    merged it. The whole workspace comes back, as it is now, and says so; what was typed is
    shown there."""
    if request.method == "POST":
        if _version(request) != task.transcript_version:
            return _answer(request, task, 409, stale=True, typed=_typed(request))
        problem = _("This segment no longer exists.")
        return _answer(request, task, 400, problem=problem, typed=_typed(request))
    response = _answer(request, task, problem=_("This segment no longer exists."))
    if request.htmx:
        # The request came from the segment (Edit, Cancel): answer for the whole workspace.
        retarget(response, "#workspace-body")
        reselect(response, "#workspace-body")
        reswap(response, "morph")  # type: ignore[arg-type]
    return response


def _version(request: HttpRequest) -> int:
    # A form without its version (an old page, a hand-made post) cannot prove it saw the
    # current transcript: -1 is never current, so it is refused as stale.
    raw = request.POST.get("version", "")
    return int(raw) if raw.isascii() and raw.isdigit() else -1


def _problem(error: InvalidOperation) -> str:
    """What went wrong, in the reader's language, from the field the operation names."""
    name = error.field.rsplit(".", 1)[-1].split("[", 1)[0]
    problems = {
        "at": _("Put the cursor inside the text, where the segment should be split."),
        "time": _("Put the cursor inside the text, where the segment should be split."),
        "start": _(
            "Check the times: the start must come before the end, and a segment cannot "
            "overlap its neighbours."
        ),
        "text": _("The text is empty: delete the segment instead."),
        "find": _("Nothing in the transcript matches."),
        "from": _("No segment has that speaker."),
        "to": _("Type a speaker name of at most 100 characters."),
        "speaker": _("Type a speaker name of at most 100 characters."),
        "ids": _("Select one or more segments first."),
        "id": _("This segment no longer exists."),
    }
    problems["end"] = problems["start"]
    return problems.get(name, error.message)


def _answer(request: HttpRequest, task: Task, status: int = 200, **state: Any) -> HttpResponse:
    """The workspace after a change (or a refusal): in place for HTMX; without JavaScript a
    refused segment edit shows its form again, anything else goes back to the task page."""
    if request.htmx:
        return render(request, WORKSPACE, workspace_context(task, **state), status=status)
    if status != 200 and state.get("editing") is not None:
        context = workspace_context(task, **state)
        segment = next(
            (s for s in context["transcript"].segments if s["id"] == state["editing"]), None
        )
        if segment is not None:
            context.update(
                segment=segment,
                partial="tasks_app/transcripts/_segment_form.html",
                standalone=True,
            )
            return render(request, PAGE, context, status=status)
    if state.get("problem"):
        messages.error(request, state["problem"])
    elif state.get("stale"):
        messages.error(request, _stale_message())
    anchor = f"#seg-{state['focus']}" if state.get("focus") is not None else "#workspace"
    return redirect(reverse("task_detail", args=[task.pk]) + anchor)


def _stale_message() -> str:
    return _(
        "Someone else changed this transcript while you were working on it, so your change "
        "was not saved. The transcript shown is the current one."
    )


def _change(
    request: HttpRequest,
    task: Task,
    operations: list[dict[str, Any]],
    *,
    focus: int | None = None,
    **state: Any,
) -> HttpResponse:
    """Apply `operations` as one revision; `state` is what the page shows again if it is
    refused (the segment being edited, what was typed)."""
    try:
        services.apply(task, request.user, _version(request), operations)
    except NotReady as error:
        raise Http404(error.message) from error
    except StaleVersion:
        return _answer(request, task, 409, stale=True, focus=focus, **state)
    except NotEditable:
        problem = _("This transcript cannot be edited until the task has completed.")
        return _answer(request, task, 409, problem=problem, focus=focus, **state)
    except InvalidOperation as error:
        return _answer(request, task, 400, problem=_problem(error), focus=focus, **state)
    return _answer(request, task, focus=focus)


def _typed(request: HttpRequest) -> dict[str, Any]:
    """The segment form as typed: kept whatever happens, so nothing typed is lost."""
    raw = request.POST.get("text", "").replace("\r\n", "\n")
    return {
        "text": raw.strip(),
        "start": request.POST.get("start", ""),
        "end": request.POST.get("end", ""),
    }


def _edit_operation(segment: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any] | None:
    """The edit the form asks for, only with what differs from the segment; None if nothing."""
    operation: dict[str, Any] = {"op": "edit", "id": segment["id"]}
    if typed["text"] != segment["text"]:
        operation["text"] = typed["text"]
    for name in ("start", "end"):
        value = _seconds(typed[name])
        if value is not None and round(value, 3) != round(float(segment[name]), 3):
            operation[name] = value
    return operation if len(operation) > 2 else None


def _seconds(raw: str) -> float | None:
    try:
        return float(raw.replace(",", ".")) if raw.strip() else None
    except ValueError:
        return None


@login_required_page
@require_GET
def segment(request: HttpRequest, task_id: str, segment_id: int) -> HttpResponse:
    """One segment, read-only: what Cancel brings back."""
    task = _task(request, task_id)
    if not request.htmx:
        return redirect(reverse("task_detail", args=[task.pk]) + f"#seg-{segment_id}")
    current = _segment(task, segment_id)
    if current is None:
        return _gone(request, task)
    context = {**workspace_context(task), "segment": current}
    return render(request, "tasks_app/transcripts/_segment.html", context)


@login_required_page
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, task_id: str, segment_id: int) -> HttpResponse:
    """GET: the segment's form in place of it (a page of its own without JavaScript).
    POST: save its text and times."""
    task = _task(request, task_id)
    current = _segment(task, segment_id)
    if current is None:
        return _gone(request, task)
    if request.method == "GET":
        context = {**workspace_context(task), "segment": current}
        if request.htmx:
            return render(request, "tasks_app/transcripts/_segment_form.html", context)
        context.update(partial="tasks_app/transcripts/_segment_form.html", standalone=True)
        return render(request, PAGE, context)
    typed = _typed(request)
    operation = _edit_operation(current, typed)
    if operation is None:
        return _answer(request, task, focus=segment_id)
    return _change(request, task, [operation], focus=segment_id, editing=segment_id, typed=typed)


def _with_typed_edit(
    request: HttpRequest, task: Task, segment_id: int, operation: dict[str, Any]
) -> HttpResponse:
    """Split or merge after saving what was typed in the form, as one revision."""
    current = _segment(task, segment_id)
    if current is None:
        return _gone(request, task)
    typed = _typed(request)
    edit = _edit_operation(current, typed) if "text" in request.POST else None
    operations = [edit, operation] if edit else [operation]
    return _change(request, task, operations, focus=segment_id, editing=segment_id, typed=typed)


@login_required_page
@require_POST
def segment_split(request: HttpRequest, task_id: str, segment_id: int) -> HttpResponse:
    task = _task(request, task_id)
    raw = request.POST.get("text", "").replace("\r\n", "\n")
    # The cursor's place, or on the form's own page (no JavaScript) the number typed.
    at = request.POST.get("at") or request.POST.get("split_at", "")
    # The cursor's offset is in the text as typed; the text saved is stripped.
    offset = int(at) - (len(raw) - len(raw.lstrip())) if at.isascii() and at.isdigit() else -1
    return _with_typed_edit(
        request, task, segment_id, {"op": "split", "id": segment_id, "at": offset}
    )


@login_required_page
@require_POST
def segment_merge(request: HttpRequest, task_id: str, segment_id: int) -> HttpResponse:
    task = _task(request, task_id)
    segments = services.current(task).segments
    if segments and segments[-1]["id"] == segment_id:
        problem = _("The last segment has no next segment to merge with.")
        state = {"editing": segment_id, "typed": _typed(request), "focus": segment_id}
        return _answer(request, task, 400, problem=problem, **state)
    return _with_typed_edit(request, task, segment_id, {"op": "merge", "id": segment_id})


@login_required_page
@require_POST
def segment_delete(request: HttpRequest, task_id: str, segment_id: int) -> HttpResponse:
    task = _task(request, task_id)
    return _change(request, task, [{"op": "delete", "id": segment_id}])


@login_required_page
@require_POST
def assign_speaker(request: HttpRequest, task_id: str) -> HttpResponse:
    """Set (or clear, when the name is empty) the speaker of the selected segments."""
    task = _task(request, task_id)
    ids = [int(i) for i in request.POST.getlist("ids") if i.isascii() and i.isdigit()]
    speaker = request.POST.get("speaker", "")
    if not ids:
        return _answer(request, task, 400, problem=_("Select one or more segments first."))
    operation = {"op": "speaker", "ids": ids, "speaker": speaker}
    return _change(request, task, [operation], assigning={"ids": ids, "speaker": speaker})


@login_required_page
@require_POST
def rename_speaker(request: HttpRequest, task_id: str) -> HttpResponse:
    """Rename a speaker everywhere at once."""
    task = _task(request, task_id)
    old, new = request.POST.get("from", ""), request.POST.get("to", "")
    renaming = {"from": old, "to": new}
    if not new.strip():
        return _answer(request, task, 400, problem=_("Type the new name."), renaming=renaming)
    operation = {"op": "rename_speaker", "from": old, "to": new}
    return _change(request, task, [operation], renaming=renaming)


def _replacing(data: Any) -> dict[str, Any]:
    return {
        "find": data.get("find", ""),
        "replace": data.get("replace", ""),
        "match_case": bool(data.get("match_case")),
        "whole_word": bool(data.get("whole_word")),
    }


@login_required_page
@require_http_methods(["GET", "POST"])
def replace(request: HttpRequest, task_id: str) -> HttpResponse:
    """GET: the matches a find and replace would change, highlighted. POST: replace them all."""
    task = _task(request, task_id)
    if request.method == "POST":
        replacing = _replacing(request.POST)
        if not replacing["find"].strip():
            problem = _("Type what to find.")
            return _answer(request, task, 400, problem=problem, replacing=replacing)
        operation = {"op": "replace", **replacing}
        return _change(request, task, [operation], replacing=replacing)
    replacing = _replacing(request.GET)
    context = workspace_context(task, replacing=replacing)
    if replacing["find"].strip():
        context["matches"] = matches(
            context["transcript"].segments,
            replacing["find"],
            replacing["replace"],
            match_case=replacing["match_case"],
            whole_word=replacing["whole_word"],
        )
    if request.htmx:
        return render(request, "tasks_app/transcripts/_find_replace.html", context)
    context["partial"] = "tasks_app/transcripts/_find_replace.html"
    return render(request, PAGE, context)


@login_required_page
@require_POST
def restore(request: HttpRequest, task_id: str, number: int) -> HttpResponse:
    """Make an older revision (0: the machine's transcript) the transcript again."""
    task = _task(request, task_id)
    try:
        services.restore(task, request.user, number, version=_version(request))
    except NotReady as error:
        raise Http404(error.message) from error
    except StaleVersion:
        return _answer(request, task, 409, stale=True)
    except NotEditable:
        problem = _("This transcript cannot be edited until the task has completed.")
        return _answer(request, task, 409, problem=problem)
    if not request.htmx:
        messages.success(request, _("Revision %(number)s restored.") % {"number": number})
    return _answer(request, task, restored=number)
