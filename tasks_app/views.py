"""The task pages: dashboard, upload, task detail and the partials their polls fetch."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HTMX_STOP_POLLING, HttpResponseClientRedirect

from accounts.decorators import login_required_page
from tasks_app import bulk, services
from tasks_app.forms import BulkForm, FilterForm, TaskEditForm, TodoForm, UploadForm
from tasks_app.models import ACTIVE, Status, Task
from tasks_app.templatetags.writers import localdigits
from tasks_app.uploads import UploadRejected, limit_upload_size
from transcription.services import eta_for_tasks
from writers.confirm import ask_first, confirmed

PAGE_SIZE = 12
TASK_POLL_SECONDS = 3


def index(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard" if request.user.is_authenticated else "login")


def _filtered_tasks(request: HttpRequest, form: FilterForm) -> QuerySet[Task]:
    # A field in error (shown above the list) is left out; the others still apply.
    form.is_valid()
    data = form.cleaned_data
    tasks = services.tasks_for_user(
        request.user,
        status=data.get("status", ""),
        q=data.get("q", ""),
        kind=data.get("kind", ""),
        created_from=data.get("created_from"),
        created_to=data.get("created_to"),
        tags=data.get("tag") or (),
        workspace=data.get("workspace"),
        assignee="me" if data.get("mine") else None,
        priority=data.get("priority", ""),
        overdue=True if data.get("overdue") else None,
    )
    if not data.get("q", "").strip():
        # Cards never show the transcript; a search's snippets (_with_snippets) read it.
        tasks = tasks.without_text()
    return services.sort_tasks(tasks, data.get("sort") or "newest")


def _with_snippets(tasks: list[Task], q: str) -> list[Task]:
    for task in tasks:
        task.snippet = services.search_snippet(task, q) if q.strip() else None
    return tasks


def _with_etas(tasks: list[Task]) -> list[Task]:
    etas = eta_for_tasks([task for task in tasks if task.is_active])
    for task in tasks:
        task.eta = etas.get(task.pk)
    return tasks


def _dashboard_context(request: HttpRequest, todo_form: TodoForm | None = None) -> dict[str, Any]:
    workspaces = services.workspaces_of(request.user)
    writable = services.writable(workspaces)
    # One read of the tags for the filter row, every card's chips and the bulk bar.
    tags = services.tags_of(workspaces)
    filter_form = FilterForm(request.GET, workspaces=workspaces)
    page = Paginator(_filtered_tasks(request, filter_form), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = _with_snippets(
        _with_etas(list(page.object_list)), filter_form.cleaned_data.get("q", "")
    )
    # Any active task the user can see, not only on this page, keeps the list refreshing.
    polling = any(task.is_active for task in page.object_list) or (
        Task.objects.visible_to(request.user)
        .filter(status__in=list(ACTIVE))
        .exclude(file_path="")
        .exists()
    )
    return {
        "page": page,
        "filter_form": filter_form,
        "filtered": filter_form.filtered,
        "polling": polling,
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "workspace_tags": tags,
        "todo_form": todo_form or TodoForm(writable=writable),
        # Built only if the template shows it: the list's refresh (every few seconds while
        # tasks run) does not, and its members cost a query.
        "bulk_form": SimpleLazyObject(lambda: _bulk_form(writable, tags=tags)),
        # The card names its workspace unless the list shows one workspace only.
        "show_workspace": len(workspaces) > 1 and not filter_form.cleaned_data.get("workspace"),
        "can_bulk": bool(writable),
    }


@login_required_page
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    context = _dashboard_context(request)
    if request.htmx:
        response = render(request, "tasks_app/_task_list.html", context)
        if not context["polling"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "tasks_app/dashboard.html", context)


@login_required_page
@require_POST
def create_todo(request: HttpRequest) -> HttpResponse:
    form = TodoForm(request.POST, writable=services.writable(services.workspaces_of(request.user)))
    if form.is_valid():
        try:
            services.create_task(request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("To-do added."))
            return redirect("dashboard")
    return render(
        request, "tasks_app/dashboard.html", _dashboard_context(request, form), status=400
    )


# The size limit has to be in place before anything reads the body, and CSRF checking reads it,
# so CSRF is checked by hand once the limit is installed (Django's documented pattern).
@csrf_exempt
@login_required_page
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        limit_upload_size(request)
    try:
        return _upload(request)
    except UploadRejected as rejected:
        # Refused while the body was read: nothing of the form survived, only the reason.
        return _render_upload(
            request, _upload_form(request), rejected.http_status, rejected.message
        )


def _upload_form(request: HttpRequest, *args: Any) -> UploadForm:
    return UploadForm(*args, writable=services.writable(services.workspaces_of(request.user)))


def _wants_fragment(request: HttpRequest) -> bool:
    """The upload page's script posts with XHR and swaps the form in place on errors."""
    return bool(request.htmx) or request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _render_upload(
    request: HttpRequest, form: UploadForm, status: int, refusal: str = ""
) -> HttpResponse:
    fragment = _wants_fragment(request)
    template = "tasks_app/_upload_form.html" if fragment else "tasks_app/upload.html"
    return render(request, template, {"form": form, "refusal": refusal}, status=status)


def _upload_refused(
    request: HttpRequest, form: UploadForm, rejected: UploadRejected
) -> HttpResponse:
    if rejected.retry_after is None:
        form.add_error("file", rejected.message)
        return _render_upload(request, form, rejected.http_status)
    # Not the file's fault: the server is too busy right now (the upload probe's limit), or
    # its file store is down. The form keeps what was typed, and the answer says when to try
    # again, as the API's does.
    refusal = rejected.message
    if rejected.code == "server_busy":
        refusal = _(
            "The server is busy checking other uploads, so your file was not saved. "
            "Wait a few seconds and send it again."
        )
    response = _render_upload(request, form, rejected.http_status, refusal)
    response["Retry-After"] = str(rejected.retry_after)
    return response


@csrf_protect
def _upload(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_upload(request, _upload_form(request), 200)

    form = _upload_form(request, request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form, 400)
    data = form.cleaned_data
    try:
        task = services.create_task(
            request.user,
            title=data["title"],
            description=data["description"],
            due_date=data["due_date"],
            upload=data["file"],
            options=form.options(),
            text=data["text"] if data["file"] is None else None,
            any_file=data["any_file"],
            workspace=data.get("workspace"),
        )
    except UploadRejected as rejected:
        return _upload_refused(request, form, rejected)
    except ValidationError as error:
        form.add_service_error(error)
        return _render_upload(request, form, 400)
    # The page's script sends several files one request each and lists them itself: a message
    # per file would pile up for the next page.
    if not request.headers.get("X-Upload-Batch"):
        messages.success(request, _("Upload complete. The transcription is on its way."))
    if _wants_fragment(request):
        return HttpResponseClientRedirect(reverse("task_detail", args=[task.pk]))
    return redirect("task_detail", task_id=task.pk)


def _task_context(task: Task) -> dict[str, Any]:
    _with_etas([task])
    version = services.result_version(task)
    result, transcript = _shown_result(*version, get_language()) if version else (None, "")
    return {
        "task": task,
        "result": result,
        "transcript": transcript,
        # Attempt rows are written with the counter (transcription.attempts): before the first
        # attempt, as while a task waits in the queue, there is nothing to read.
        "attempts": list(task.attempt_set.all()) if task.attempts else [],
        # A queued follow-up analysis keeps the page polling until it lands.
        "polling": task.is_active or task.analysis_busy(),
        "poll_seconds": TASK_POLL_SECONDS,
        "downloads": ("txt", "srt", "vtt", "tsv", "json", "docx"),
    }


# The task page polls every TASK_POLL_SECONDS, and rendering a long transcript costs more than
# all the rest of the poll: keep the last results rendered, per result name (a worker writes
# each version of a result under a new one; services.result_version) and language (digits).
# Shared between threads: never changed.
@lru_cache(maxsize=16)
def _shown_result(name: str, _stamp: str, _language: str) -> tuple[dict[str, Any] | None, str]:
    """The result as the page reads it, and its transcript as HTML. The segments and text, the
    bulk of a result, are only in the HTML."""
    result = services.read_result(name)
    if result is None:
        return None, ""
    transcript = render_to_string("tasks_app/_transcript.html", {"result": result})
    return {**result, "segments": (), "text": ""}, transcript


@login_required_page
@require_GET
def task_detail(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_task_for_user(request.user, task_id)
    return render(request, "tasks_app/task_detail.html", _task_context(task))


@login_required_page
@require_GET
def task_status(request: HttpRequest, task_id: str) -> HttpResponse:
    """The poll behind the task page: the same partial the page includes, 286 once it is over."""
    try:
        # Half the poll's query time was its workspace's and assignee's columns, unshown.
        task = services.get_task_for_user(request.user, task_id, related=False)
    except Http404:
        # Deleted elsewhere while the page polled: the whole page shows its 404 and stops.
        return HttpResponseClientRedirect(reverse("task_detail", args=[task_id]))
    context = _task_context(task)
    response = render(request, "tasks_app/_task_status.html", context)
    if not context["polling"]:
        response.status_code = HTMX_STOP_POLLING
    return response


@login_required_page
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_task_to_change(request.user, task_id)
    initial = {
        "title": task.title,
        "description": task.description,
        "due_date": task.due_date,
        "status": task.status,
        "priority": task.priority,
        "assignee": str(task.assignee_id or ""),
        "workspace": task.workspace_id,
    }
    form = TaskEditForm(
        request.POST or None,
        initial=initial,
        task=task,
        members=services.members_of([task.workspace_id]),
        writable=services.writable(services.workspaces_of(request.user)),
    )
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        fields["assignee"] = fields.get("assignee") or None
        if fields.get("workspace") in (None, task.workspace_id):
            fields.pop("workspace", None)
        try:
            services.update_task(task, actor=request.user, **fields)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("task_detail", task_id=task.pk)
    status = 400 if form.errors else 200
    return render(request, "tasks_app/task_edit.html", {"task": task, "form": form}, status=status)


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(default)


def _task_action(
    request: HttpRequest, task_id: str, action: Callable[[Task], bool], done: str, refused: str
) -> HttpResponse:
    """Run one of the task services from a button and say how it went."""
    task = services.get_task_to_change(request.user, task_id)
    if action(task):
        messages.success(request, done)
    else:
        messages.error(request, refused)
    return _back(request, reverse("task_detail", args=[task.pk]))


@login_required_page
@require_POST
def task_cancel(request: HttpRequest, task_id: str) -> HttpResponse:
    if not confirmed(request):
        task = services.get_task_to_change(request.user, task_id)
        back = reverse("task_detail", args=[task.pk])
        return ask_first(request, _("Stop this transcription?"), _("Cancel transcription"), back)
    return _task_action(
        request,
        task_id,
        services.cancel_task,
        _("Task cancelled."),
        _("This task can no longer be cancelled."),
    )


@login_required_page
@require_POST
def task_retry(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_task_to_change(request.user, task_id)
    # No message on success: the task's status panel says "Task queued again." for as long as
    # that is true, where a flash message would stay after the task has moved on.
    if not services.retry_task(task):
        messages.error(request, _("This task cannot be retried."))
    return _back(request, reverse("task_detail", args=[task.pk]))


@login_required_page
@require_POST
def task_analyze(request: HttpRequest, task_id: str) -> HttpResponse:
    """The one-click text analysis of a finished transcript."""
    return _task_action(
        request,
        task_id,
        services.request_analysis,
        _("Text analysis queued; it appears on this page when done."),
        _("This transcript cannot be analysed now."),
    )


@login_required_page
@require_POST
def task_complete(request: HttpRequest, task_id: str) -> HttpResponse:
    """Tick a to-do off from the dashboard."""
    task = services.get_task_to_change(request.user, task_id)
    try:
        services.update_task(task, status=Status.COMPLETED)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("To-do completed."))
    return _back(request, reverse("dashboard"))


@login_required_page
@require_POST
def task_delete(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_task_to_change(request.user, task_id)
    services.delete_task(task)
    messages.success(request, _("Task moved to the Trash."))
    return redirect("dashboard")


@login_required_page
@require_POST
def tasks_bulk(request: HttpRequest) -> HttpResponse:
    """The dashboard's bulk bar: one action on the ticked tasks, then back to the list."""
    form = _bulk_form(services.writable(services.workspaces_of(request.user)), request.POST)
    ids = request.POST.getlist("ids")
    if not ids:
        messages.error(request, _("Tick the tasks to change first."))
    elif not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            result = bulk.bulk_update(
                request.user, ids, form.cleaned_data["action"], **form.values()
            )
        except (Http404, PermissionDenied) as refused:
            messages.error(request, str(refused))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _bulk_done(form.cleaned_data["action"], result))
    return _back(request, reverse("dashboard"))


def _bulk_form(writable: list[Any], data: Any = None, tags: list[Any] | None = None) -> BulkForm:
    """The bulk bar's choices: the members, tags and workspaces where the user may change
    tasks (`tags`: those of these workspaces or more, when the caller has read them)."""
    ids = {workspace.pk for workspace in writable}
    return BulkForm(
        data,
        members=services.members_of(ids),
        tags=[
            tag
            for tag in (services.tags_of(writable) if tags is None else tags)
            if tag.workspace_id in ids
        ],
        writable=writable,
    )


def _bulk_done(action: str, result: bulk.BulkResult) -> str:
    count = len(result.updated)
    done = {
        "delete": ngettext(
            "%(count)s task moved to the Trash.", "%(count)s tasks moved to the Trash.", count
        ),
        "cancel": ngettext("%(count)s task cancelled.", "%(count)s tasks cancelled.", count),
    }.get(action, ngettext("%(count)s task changed.", "%(count)s tasks changed.", count))
    text = done % {"count": localdigits(count)}
    if result.skipped:
        skipped = len(result.skipped)
        text += " " + ngettext(
            "%(count)s was already finished.", "%(count)s were already finished.", skipped
        ) % {"count": localdigits(skipped)}
    return text


@login_required_page
@require_GET
def trash(request: HttpRequest) -> HttpResponse:
    """Deleted tasks, restorable until `purge_deleted` removes them."""
    tasks = services.deleted_tasks_for_user(request.user)
    return render(request, "tasks_app/trash.html", {"tasks": tasks})


@login_required_page
@require_POST
def task_restore(request: HttpRequest, task_id: str) -> HttpResponse:
    task = services.get_deleted_task_for_user(request.user, task_id)
    if services.restore_task(task):
        messages.success(request, _("“%(title)s” restored.") % {"title": task.title})
    return redirect("trash")


@login_required_page
@require_POST
def task_purge(request: HttpRequest, task_id: str) -> HttpResponse:
    """The Trash's "Delete now": gone for good without waiting for the purge."""
    task = services.get_deleted_task_for_user(request.user, task_id)
    if not confirmed(request):
        question = _("Delete this task and its files for good? This cannot be undone.")
        return ask_first(request, question, _("Delete now"), reverse("trash"))
    services.purge_task(task)
    messages.success(request, _("“%(title)s” deleted for good.") % {"title": task.title})
    return redirect("trash")
