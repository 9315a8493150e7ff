"""Task workflows shared by the pages and the API: create, change, cancel, retry, delete, read."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tasks_app import blobs, storage
from tasks_app.attachments.models import Attachment
from tasks_app.integrations.models import TaskEvent
from tasks_app.integrations.notifications import notify_user
from tasks_app.models import (
    ACTIVE,
    ANALYSIS_STALE,
    MAX_SPEAKERS,
    AnalysisStatus,
    Channels,
    Kind,
    Mode,
    Priority,
    Status,
    Task,
    normalized_audio_relpath,
)
from tasks_app.tags.models import Tag
from tasks_app.tags.services import tags_in
from tasks_app.transcripts.models import TranscriptRevision
from tasks_app.uploads import store_upload
from tasks_app.workspaces.models import (
    LiveTaskCount,
    Role,
    Workspace,
    in_workspaces_of,
    role_allows,
)
from tasks_app.workspaces.services import personal_workspace, require, role_in
from transcription.services import (
    LANGUAGES,
    available_models,
    enqueue_analysis,
    enqueue_speakers,
    enqueue_task,
)

BULK_LIMIT = 100
ORDERINGS = ("created_at", "due_date", "title", "status", "priority")
PROMPT_MAX_CHARS = 2000
TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
FALSE_VALUES = frozenset({"0", "false", "no", "off", ""})
BOOLEAN_OPTIONS = ("word_timestamps", "vad_filter", "batched", "normalized_audio")
ORPHAN_GRACE = timedelta(hours=1)
# Characters of context either side of a search match in a result's snippet.
SNIPPET_CONTEXT = 70
# The dashboard's sort menu: name -> order_by arguments.
SORTS = {
    "newest": (F("created_at").desc(), F("id").desc()),
    "oldest": (F("created_at").asc(), F("id").asc()),
    "due": (F("due_date").asc(nulls_last=True), F("created_at").desc(), F("id").desc()),
    "length": (
        F("duration_seconds").desc(nulls_last=True),
        F("created_at").desc(),
        F("id").desc(),
    ),
}


def clean_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Processing options as Task fields; unknown model or language is a ValidationError.

    Keys: model, language ("auto" or empty detects), task (transcribe|translate),
    word_timestamps, vad_filter, initial_prompt, hotwords, batched, normalized_audio (videos:
    keep the sound as 16 kHz mono FLAC), channels (auto|split|mix: stereo with one speaker per
    channel).
    """
    options = options or {}
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {}

    model = str(options.get("model") or "").strip()
    if model and model not in available_models():
        errors["model"] = (
            f"Unknown model '{model}'. Available: {', '.join(available_models()) or 'none'}."
        )
    # Recorded at upload, so the task shows (and the ETA uses) the model it will run with even
    # if the server's default changes while it waits.
    fields["model_name"] = model or settings.MODEL_NAME

    language = str(options.get("language") or "").strip().lower()
    if language == "auto":
        language = ""
    if language and language not in LANGUAGES:
        errors["language"] = f"Unknown language code '{language}'. Use a code like 'en' or 'auto'."
    fields["language"] = language

    mode = str(options.get("task") or Mode.TRANSCRIBE).strip().lower()
    if mode not in Mode.values:
        errors["task"] = "Choose 'transcribe' or 'translate'."
    fields["mode"] = mode

    for name in BOOLEAN_OPTIONS:
        value = options.get(name, False)
        if isinstance(value, bool):
            fields[name] = value
        elif str(value).strip().lower() in TRUE_VALUES | FALSE_VALUES:
            fields[name] = str(value).strip().lower() in TRUE_VALUES
        else:
            errors[name] = "Must be true or false."

    for name in ("initial_prompt", "hotwords"):
        text = str(options.get(name) or "").strip()
        if len(text) > PROMPT_MAX_CHARS:
            errors[name] = f"At most {PROMPT_MAX_CHARS} characters."
        fields[name] = text

    channels = str(options.get("channels") or Channels.AUTO).strip().lower()
    if channels not in Channels.values:
        errors["channels"] = "Choose 'auto', 'split' (one speaker per stereo channel) or 'mix'."
    fields["channels"] = channels

    try:
        fields["speakers"] = speaker_count(options.get("speakers") or 0, allow_off=True)
    except ValidationError as exc:
        errors["speakers"] = exc.messages[0]

    if errors:
        raise ValidationError(
            {name: [ValidationError(message, code="invalid")] for name, message in errors.items()}
        )
    return fields


def create_task(
    user: Any,
    *,
    title: str,
    description: str = "",
    due_date: datetime | None = None,
    upload: UploadedFile | None = None,
    options: Mapping[str, Any] | None = None,
    text: str | None = None,
    any_file: bool = False,
    workspace: Any = None,
    assignee: Any = None,
    priority: str = Priority.MEDIUM,
    tags: Iterable[Any] = (),
) -> Task:
    """Validate and save a task in `workspace` (the user's personal one when None), where the
    user must be an editor or admin (PermissionDenied otherwise); with an upload, store and
    probe the file and enqueue on commit.

    The upload's extension and content decide the kind (audio, video, text document); with
    `any_file` any file is taken and its job looks at the content. `text` is pasted text: it is
    stored as a UTF-8 .txt upload and analysed like one. Raises UploadRejected for a bad file
    and ValidationError for bad fields or options. A task with a file must not be created
    inside a caller's transaction: a rollback out there could not remove the stored file, so
    the block is durable. `assignee` (a member's id or user, notified), `priority` and `tags`
    (the workspace's tag ids) are checked before the file is stored.
    """
    if text is not None and text.strip():
        if upload is not None:
            raise ValidationError(
                {"text": ["Send either a file or a text, not both."]}, code="file_and_text"
            )
        upload = pasted_text_upload(text)
    elif text is not None and upload is None:
        raise ValidationError({"text": ["The text is empty."]}, code="empty_text")
    task = Task(
        user=user,
        workspace=workspace_for_new_task(user, workspace),
        title=(title or "").strip(),
        description=description or "",
        due_date=due_date,
        priority=priority or Priority.MEDIUM,
        kind=Kind.TODO if upload is None else Kind.TRANSCRIPTION,
    )
    task.assignee = member_of(task.workspace_id, assignee)
    chosen_tags = tags_in(task.workspace_id, _ids(tags)) if tags else []
    if upload is not None:
        for name, value in clean_options(options).items():
            setattr(task, name, value)
    task.full_clean(validate_unique=False, validate_constraints=False)
    if upload is None:
        with transaction.atomic():
            task.save()
            _add_to_new(task, chosen_tags, user)
        return task

    stored = store_upload(upload, task.id, any_file=any_file)
    task.kind = stored.kind
    task.file_path = stored.path
    task.original_filename = stored.original_filename
    task.file_size = stored.size
    task.sha256 = stored.sha256
    task.content_type = stored.content_type
    task.duration_seconds = stored.duration
    try:
        with transaction.atomic(durable=True):
            task.save(force_insert=True)
            _add_to_new(task, chosen_tags, user)
            transaction.on_commit(partial(enqueue_task, task.pk), robust=True)
    except BaseException:
        # No row, no file. A store that went down meanwhile keeps the object for the orphan
        # sweep (purge_deleted), and the error that matters is the one being raised.
        with contextlib.suppress(blobs.StoreUnavailable):
            blobs.delete(stored.path)
        raise
    return task


def _add_to_new(task: Task, tags: list[Any], user: Any) -> None:
    if tags:
        task.tags.set(tags)
    if task.assignee_id is not None:
        _tell_assignee(task, user)


def pasted_text_upload(text: str) -> UploadedFile:
    content = text.strip().encode("utf-8")
    return SimpleUploadedFile("pasted.txt", content, content_type="text/plain")


def request_analysis(task: Task) -> bool:
    """Queue the text analysis of a finished transcript; the result gains `analysis`.

    False when the task cannot be analysed now (no finished transcript, one already running)
    or the queue is unreachable.
    """
    if not task.can_analyze():
        return False
    busy = Q(analysis_status__in=[AnalysisStatus.QUEUED, AnalysisStatus.RUNNING]) & Q(
        analysis_requested_at__gte=timezone.now() - ANALYSIS_STALE
    )
    previous = task.analysis_status
    queued = (
        Task.objects.filter(pk=task.pk, status=Status.COMPLETED)
        .exclude(busy)
        .update(
            analysis_status=AnalysisStatus.QUEUED,
            analysis_requested_at=timezone.now(),
            updated_at=timezone.now(),
        )
    )
    if queued and not enqueue_analysis(task.pk, task.transcript_text):
        Task.objects.filter(pk=task.pk, analysis_status=AnalysisStatus.QUEUED).update(
            analysis_status=previous
        )
        queued = 0
    task.refresh_from_db()
    return bool(queued)


def speaker_count(value: Any, *, allow_off: bool = False) -> int:
    """How many speakers to label: an integer from 1 to MAX_SPEAKERS (0, off, when allowed)."""
    lowest = 0 if allow_off else 1
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or not lowest <= int(text) <= MAX_SPEAKERS:
        raise ValidationError(
            f"Give a whole number of speakers from {lowest} to {MAX_SPEAKERS}.", code="invalid"
        )
    return int(text)


class NotLabellable(Exception):
    """Speaker labelling cannot start for this task now; `code` and `message` for the API."""

    def __init__(self, code: str, message: str, http_status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status


def request_speakers(task: Task, speakers: Any) -> bool:
    """Queue automatic speaker labels for a finished transcript: the job records them as a
    new revision by the system (tasks_app.transcripts), which the user may correct or undo.

    ValidationError for a bad count; NotLabellable when the task is not a finished recording,
    its audio is gone or a labelling is already on its way; False when the queue is
    unreachable.
    """
    count = speaker_count(speakers)
    if task.kind not in (Kind.TRANSCRIPTION, Kind.VIDEO) or task.status != Status.COMPLETED:
        raise NotLabellable(
            "task_not_completed", "Only a completed transcription can get speaker labels."
        )
    if not task.result_path:
        raise NotLabellable("result_not_ready", "This task has no transcript to label.")
    if upload_name(task) is None:
        raise NotLabellable(
            "file_gone", "The audio of this task was deleted: speakers cannot be told apart.", 410
        )
    if task.speakers_busy():
        raise NotLabellable("speakers_busy", "Speaker labelling is already on its way.")
    busy = Q(speakers_status__in=[AnalysisStatus.QUEUED, AnalysisStatus.RUNNING]) & Q(
        updated_at__gte=timezone.now() - ANALYSIS_STALE
    )
    previous = (task.speakers_status, task.speakers_error)
    queued = (
        Task.objects.filter(pk=task.pk, status=Status.COMPLETED)
        .exclude(busy)
        .update(
            speakers=count,
            speakers_status=AnalysisStatus.QUEUED,
            speakers_error="",
            updated_at=timezone.now(),
        )
    )
    if not queued:
        raise NotLabellable("speakers_busy", "Speaker labelling is already on its way.")
    if not enqueue_speakers(task.pk, count):
        Task.objects.filter(pk=task.pk, speakers_status=AnalysisStatus.QUEUED).update(
            speakers_status=previous[0], speakers_error=previous[1]
        )
        task.refresh_from_db()
        return False
    task.refresh_from_db()
    return True


def workspace_for_new_task(user: Any, workspace: Any) -> Workspace:
    """Where a new task of `user` goes: the named workspace (a Workspace or its id) if the user
    may add tasks there (editor or admin), the personal workspace when none is named."""
    if workspace is None:
        return personal_workspace(user)
    workspace_id = getattr(workspace, "pk", workspace)
    role = None
    if isinstance(workspace_id, int) and not isinstance(workspace_id, bool):
        role = role_in(user, workspace_id)
    if role is None:
        raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
    if not role_allows(role, Role.EDITOR):
        raise PermissionDenied(_("Viewers cannot add tasks to this workspace."))
    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.objects.get(pk=workspace_id)


def create_todos(
    user: Any, items: Iterable[Mapping[str, Any]], workspace: Any = None
) -> list[Task]:
    """Create up to BULK_LIMIT to-dos, all or none. Errors are keyed by item index. Items may
    carry `priority`, `assignee` (a member's id) and `tags` (the workspace's tag ids)."""
    target = workspace_for_new_task(user, workspace)
    tasks = []
    tag_rows = []
    assigned = []
    errors: list[str] = []
    items = list(items)
    if not items or len(items) > BULK_LIMIT:
        raise ValidationError(
            {"tasks": [f"Send between 1 and {BULK_LIMIT} tasks."]}, code="bulk_size"
        )
    for index, item in enumerate(items):
        task = Task(
            user=user,
            workspace=target,
            title=str(item.get("title") or "").strip(),
            description=item.get("description") or "",
            due_date=item.get("due_date"),
            priority=item.get("priority") or Priority.MEDIUM,
            kind=Kind.TODO,
        )
        try:
            task.assignee = member_of(target.pk, item.get("assignee"))
            tag_rows += [
                Task.tags.through(task_id=task.pk, tag_id=tag.pk)
                for tag in tags_in(target.pk, item.get("tags") or ())
            ]
            task.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors += [
                f"Task {index}: {field}: {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        tasks.append(task)
        if task.assignee_id is not None:
            assigned.append(task)
    if errors:
        raise ValidationError({"tasks": errors}, code="invalid")
    with transaction.atomic():
        created = Task.objects.bulk_create(tasks)
        Task.tags.through.objects.bulk_create(tag_rows)
        for task in assigned:
            _tell_assignee(task, user)
    return created


def update_task(task: Task, *, actor: Any = None, **fields: Any) -> Task:
    """Change title, description, due date, priority, assignee, tags, workspace and, for a
    to-do only, status. `actor` is who changes it (told apart from the assignee it notifies).

    `assignee` (a user or user id, None to unassign) must be a member of the task's workspace;
    `tags` (Tag objects or ids) replace the task's tags and must be the workspace's; moving to
    another `workspace` (a Workspace or id) needs the actor to be an editor or admin there, and
    drops the old workspace's tags and an assignee who is not a member of the new one.
    """
    allowed = {
        "title",
        "description",
        "due_date",
        "status",
        "priority",
        "assignee",
        "tags",
        "workspace",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    status = fields.pop("status", None)
    tags = fields.pop("tags", None)
    changed: set[str] = set()
    if "workspace" in fields:
        target = _workspace_to_move_to(actor, fields.pop("workspace"))
        if target.pk != task.workspace_id:
            task.workspace = target
            changed.add("workspace")
            if tags is None and task.tags.exists():
                tags = []
            stays = task.assignee_id is None or role_in(task.assignee, target.pk) is not None
            if not stays and "assignee" not in fields:
                fields["assignee"] = None
    previous_assignee = task.assignee_id
    if "assignee" in fields:
        task.assignee = member_of(task.workspace_id, fields.pop("assignee"))
        changed.add("assignee")
    changed |= set(fields)
    for name, value in fields.items():
        setattr(task, name, value.strip() if name == "title" and isinstance(value, str) else value)
    if status is not None and status != task.status:
        if task.has_file:
            raise ValidationError(
                {
                    "status": [
                        "A transcription's status follows its processing; use cancel or retry."
                    ]
                },
                code="status_not_manual",
            )
        if not task.can_set_status(status):
            raise ValidationError(
                {"status": [f"A to-do cannot be set to '{status}' by hand."]},
                code="status_not_allowed",
            )
        task.status = status
        task.completed_at = timezone.now() if status == Status.COMPLETED else None
        changed |= {"status", "completed_at"}
    new_tags = None if tags is None else tags_in(task.workspace_id, _ids(tags))
    task.full_clean(validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        if changed:
            task.save(update_fields=[*changed, "updated_at"])
        if new_tags is not None:
            task.tags.set(new_tags)
        if task.assignee_id not in (None, previous_assignee):
            _tell_assignee(task, actor)
    return task


def _ids(values: Iterable[Any]) -> list[Any]:
    return [getattr(value, "pk", value) for value in values]


def member_of(workspace_id: Any, user: Any) -> Any:
    """The member of the workspace with this id (or this user), None for None; a
    ValidationError on `assignee` for anyone else, with the same words whether that user
    exists or not."""
    if user is None:
        return None
    member = None
    pk = _uuid(getattr(user, "pk", user))
    if pk is not None:
        member = (
            get_user_model().objects.filter(pk=pk, memberships__workspace_id=workspace_id).first()
        )
    if member is None:
        raise ValidationError(
            {"assignee": ["No such member in this workspace."]}, code="not_a_member"
        )
    return member


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _workspace_to_move_to(actor: Any, workspace: Any) -> Workspace:
    """A workspace the actor may move tasks into (editor or admin there)."""
    workspace_id = getattr(workspace, "pk", workspace)
    role = (
        role_in(actor, workspace_id)
        if isinstance(workspace_id, int) and not isinstance(workspace_id, bool)
        else None
    )
    if role is None:
        raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
    require(role, Role.EDITOR)
    if isinstance(workspace, Workspace):
        return workspace
    return Workspace.objects.get(pk=workspace_id)


def _tell_assignee(task: Task, actor: Any) -> None:
    """The new assignee hears of it, unless they assigned it to themselves."""
    if actor is not None and task.assignee_id == getattr(actor, "pk", None):
        return
    notify_user(
        task.assignee,
        TaskEvent.Kind.ASSIGNED,
        task=task,
        title=task.title,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def cancel_task(task: Task) -> bool:
    """Cancel a task that has not finished. A queued task is then never claimed by a worker
    (the claim is a conditional UPDATE from IN_PROGRESS); a running one is stopped by its worker,
    which checks the status between segments."""
    cancelled = Task.objects.transition(task.pk, ACTIVE, Status.CANCELLED)
    if cancelled:
        task.refresh_from_db()
    return cancelled


def retry_task(task: Task) -> bool:
    """Put a FAILED or CANCELLED transcription back in line; enqueued once the change commits."""
    if not task.can_retry() or task.audio_purged_at is not None:
        return False
    with transaction.atomic():
        retried = Task.objects.transition(
            task.pk,
            [Status.FAILED, Status.CANCELLED],
            Status.PENDING,
            error_code="",
            error_message="",
            progress=0,
            processed_seconds=0,
            queued_at=None,
            started_at=None,
            heartbeat_at=None,
            completed_at=None,
        )
        if retried:
            transaction.on_commit(partial(enqueue_task, task.pk), robust=True)
    if retried:
        task.refresh_from_db()
    return retried


def delete_task(task: Task) -> None:
    """Soft delete; an active transcription is cancelled first. `manage.py purge_deleted`
    removes the files and rows later."""
    if task.is_active:
        cancel_task(task)
    Task.objects.filter(pk=task.pk, deleted_at__isnull=True).update(
        deleted_at=timezone.now(), updated_at=timezone.now()
    )
    task.refresh_from_db()


def deleted_tasks_for_user(user: Any) -> Any:
    """The user's Trash: deleted tasks not yet purged, in the workspaces where the user may
    change tasks (editor or admin), most recently deleted first."""
    return Task.objects.filter(
        deleted_at__isnull=False,
        workspace__memberships__user_id=getattr(user, "pk", None),
        workspace__memberships__role__in=[Role.EDITOR, Role.ADMIN],
    ).order_by("-deleted_at", "-id")


def get_deleted_task_for_user(user: Any, task_id: Any) -> Task:
    """A task in the user's Trash; Http404 otherwise, for anyone else's too (a deleted task of
    another workspace is nobody's business)."""
    try:
        pk = task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id))
    except ValueError as error:
        raise Http404("No such task in the Trash.") from error
    task = deleted_tasks_for_user(user).filter(pk=pk).first()
    if task is None:
        raise Http404("No such task in the Trash.")
    return task


def restore_task(task: Task) -> bool:
    """Bring a task back from the Trash with its files and result; False when it was already
    restored or purged. A transcription that deletion cancelled stays cancelled (retry it)."""
    restored = Task.objects.filter(pk=task.pk, deleted_at__isnull=False).update(
        deleted_at=None, updated_at=timezone.now()
    )
    if restored:
        task.refresh_from_db()
    return bool(restored)


def purge_task(task: Task) -> int:
    """Remove a deleted task's row and files now; returns how many files were removed."""
    names = set(task_files(task))
    # Its folders may hold more: a result written before the one the row names, not yet
    # removed when its worker stopped. Never a temporary file: the sweeper judges those.
    folders = (f"results/{task.pk}", f"attachments/{task.pk}")
    for folder in folders:
        names.update(name for name, _ in blobs.listing(folder) if not _temporary(name))
    removed = sum(blobs.delete(name) for name in sorted(names))
    for folder in folders:
        blobs.prune(folder)
    Task.objects.filter(pk=task.pk, deleted_at__isnull=False).delete()
    return removed


def get_task_for_user(
    user: Any, task_id: Any, need: str = Role.VIEWER, *, related: bool = True
) -> Task:
    """A live task in one of the user's workspaces, which the user's role there allows `need`
    on (viewer: read, download, comment; editor: change, cancel, retry, edit the transcript).
    `related=False` leaves its workspace and assignee unread (the status poll shows neither).

    Http404 when it does not exist, was deleted, or is in a workspace the user is not a member
    of (a 403 would confirm that it exists); PermissionDenied when a member's role is too low.
    One query: the membership comes with the task. The role is left on `task.role`.
    """
    try:
        pk = task_id if isinstance(task_id, uuid.UUID) else uuid.UUID(str(task_id))
    except ValueError as error:
        raise Http404("No such task.") from error
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such task.")
    if related:
        try:
            # get(), not first(): no ORDER BY to compile.
            # The workspace and assignee come in the same query: the API's answer names them.
            tasks = in_workspaces_of(Task.objects.alive(), user)
            task = tasks.select_related("workspace", "assignee").get(pk=pk)
        except Task.DoesNotExist as error:
            raise Http404("No such task.") from error
    else:
        sql, params, at = _task_lookup(user.pk)
        found = list(Task.objects.raw(sql, (*params[:at], _task_pk_param(pk), *params[at + 1 :])))
        if not found:
            raise Http404("No such task.")
        task = found[0]
    require(task.role, need)
    return task


# The task whose id stands for the looked-up one in a kept lookup statement (_task_lookup).
_ANY_TASK = uuid.UUID(int=0)


def _task_pk_param(pk: uuid.UUID) -> Any:
    # As the database takes a task id (a UUID on PostgreSQL, its hex on SQLite).
    return Task._meta.pk.get_db_prep_value(pk, connection)


@lru_cache(maxsize=512)
def _task_lookup(user_pk: Any) -> tuple[str, tuple[Any, ...], int]:
    """The statement of get_task_for_user(related=False) for this reader: its SQL, its
    parameters, and which of them is the task's id. Built and compiled once per reader in a
    process: on the status poll every few seconds of every open task page, that was a sixth of
    its CPU (bench/LOAD.md). The database is still read every time."""
    tasks = in_workspaces_of(Task.objects.alive(), user_pk).filter(pk=_ANY_TASK)
    sql, params = tasks.query.sql_with_params()
    placeholder = _task_pk_param(_ANY_TASK)
    if list(params).count(placeholder) != 1:
        raise AssertionError(f"the task's id is not one parameter of {sql!r}: {params!r}")
    return sql, tuple(params), params.index(placeholder)


def workspaces_of(user: Any) -> list[Workspace]:
    """The user's workspaces, each with the user's `role` there, in one query."""
    return list(Workspace.objects.with_role(user))


def writable(workspaces: Iterable[Workspace]) -> list[Workspace]:
    """Those of `workspaces_of` where the user may add, change and move tasks."""
    return [w for w in workspaces if role_allows(getattr(w, "role", Role.VIEWER), Role.EDITOR)]


def members_of(workspace_ids: Iterable[Any]) -> list[Any]:
    """The people who are members of any of these workspaces, by name."""
    return list(
        get_user_model()
        .objects.filter(memberships__workspace_id__in=list(workspace_ids))
        .distinct()
        .order_by("full_name", "username")
    )


def tags_of(workspaces: Iterable[Workspace]) -> list[Tag]:
    """The tags of these workspaces, each with its workspace: one of these objects (with the
    reader's role on it), not a join."""
    by_pk = {workspace.pk: workspace for workspace in workspaces}
    tags = list(Tag.objects.filter(workspace_id__in=list(by_pk)))
    for tag in tags:
        tag.workspace = by_pk[tag.workspace_id]
    return tags


def tags_by_task(tasks: Iterable[Task]) -> dict[uuid.UUID, list[tuple[int, str, str]]]:
    """Each task's tags as (id, name, colour), in the tags' order, in one query: for a page of
    the API's list, where prefetch_related's Tag objects and managers cost three times the
    query (bench/LOAD.md)."""
    rows = (
        Task.tags.through.objects.filter(task_id__in=[task.pk for task in tasks])
        .order_by(*(f"tag__{name}" for name in Tag._meta.ordering))
        .values_list("task_id", "tag_id", "tag__name", "tag__color")
    )
    tags: dict[uuid.UUID, list[tuple[int, str, str]]] = {}
    for task_id, *tag in rows:
        tags.setdefault(task_id, []).append(tuple(tag))
    return tags


def get_task_to_change(user: Any, task_id: Any) -> Task:
    """get_task_for_user for the routes that change a task: editors and admins only."""
    return get_task_for_user(user, task_id, Role.EDITOR)


@dataclass(frozen=True)
class TaskFilters:
    """A task list's filters and order, checked (task_filters): what tasks_matching builds a
    query from. Hashable: with its reader it stands for the query (tasks_app.task_json)."""

    status: str = ""
    q: str = ""
    ordering: str = "-created_at"
    kind: str = ""
    created_from: date | None = None
    created_to: date | None = None
    workspace_id: int | None = None
    assignee_id: uuid.UUID | None = None
    tag_ids: tuple[int, ...] = ()
    priority: str = ""
    overdue: bool | None = None

    def statement_key(self, user: Any) -> Hashable | None:
        """What the query tasks_matching(user, self) builds depends on, to keep its compiled
        statement by (tasks_app.task_json.page); None when it carries the time of the request
        (the overdue filter compares due dates with it)."""
        if self.overdue is not None:
            return None
        # Calendar days become moments in the current time zone (_day_start).
        return (user.pk, self, timezone.get_current_timezone_name())

    def whole_workspaces(self) -> bool:
        """Whether the list holds every live task of its workspaces: no filter but the
        workspace, so its total is their LiveTaskCount (task_totals)."""
        return self == TaskFilters(ordering=self.ordering, workspace_id=self.workspace_id)


def tasks_for_user(user: Any, **filters: Any) -> Any:
    """The live tasks of the user's workspaces, filtered and ordered, each with the user's
    `role` in its workspace, its workspace, assignee and tags loaded without a query per task.
    Takes task_filters' arguments and raises its ValidationError."""
    return tasks_matching(user, task_filters(user, **filters))


def task_filters(
    user: Any,
    *,
    status: str = "",
    q: str = "",
    ordering: str = "-created_at",
    kind: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
    workspace: Any = None,
    assignee: Any = None,
    tags: Iterable[Any] = (),
    priority: str = "",
    overdue: bool | None = None,
) -> TaskFilters:
    """The filters of a task list, checked; raises ValidationError for a bad one.

    `ordering` is one of ORDERINGS, optionally prefixed with '-' ("-priority": most urgent
    first). `created_from`/`created_to` are calendar days in the site's time zone, both
    included. `workspace` is a workspace id the user is a member of; `assignee` is "me" or a
    user id; every tag id in `tags` must be on a task; `overdue` True keeps only overdue
    to-dos, False leaves them out.
    """
    if status and status not in Status.values:
        raise ValidationError({"status_filter": [f"Unknown status '{status}'."]}, code="invalid")
    if kind and kind not in Kind.values:
        raise ValidationError({"kind": [f"Unknown kind '{kind}'."]}, code="invalid")
    workspace_id = None
    if workspace not in (None, ""):
        workspace_id = _whole_number(workspace, "workspace", "No such workspace.")
        if role_in(user, workspace_id) is None:
            raise ValidationError({"workspace": ["No such workspace."]}, code="unknown_workspace")
    assignee_id = None
    if assignee not in (None, ""):
        assignee_id = user.pk if assignee == "me" else _uuid(assignee)
        if assignee_id is None:
            raise ValidationError({"assignee": ["Give 'me' or a user id."]}, code="invalid")
    tag_ids = tuple(_whole_number(tag, "tag", "Give tag ids.") for tag in tags)
    if priority and priority not in Priority.values:
        raise ValidationError(
            {"priority": [f"Priority is one of: {', '.join(Priority.values)}."]}, code="invalid"
        )
    if ordering.lstrip("-") not in ORDERINGS:
        raise ValidationError(
            {"ordering": [f"Order by one of: {', '.join(ORDERINGS)} (prefix '-' to reverse)."]},
            code="invalid",
        )
    return TaskFilters(
        status=status,
        q=q.strip(),
        ordering=ordering,
        kind=kind,
        created_from=created_from,
        created_to=created_to,
        workspace_id=workspace_id,
        assignee_id=assignee_id,
        tag_ids=tag_ids,
        priority=priority,
        overdue=overdue,
    )


def tasks_matching(user: Any, filters: TaskFilters) -> Any:
    """tasks_for_user for filters already checked."""
    tasks = (
        in_workspaces_of(Task.objects.alive(), user)
        .select_related("workspace", "assignee")
        .prefetch_related("tags")
    )
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.kind:
        tasks = tasks.filter(kind=filters.kind)
    if filters.workspace_id is not None:
        tasks = tasks.filter(workspace_id=filters.workspace_id)
    if filters.assignee_id is not None:
        tasks = tasks.filter(assignee_id=filters.assignee_id)
    # One join per tag: a task must carry every tag asked for.
    for tag_id in filters.tag_ids:
        tasks = tasks.filter(tags__id=tag_id)
    if filters.priority:
        tasks = tasks.filter(priority=filters.priority)
    if filters.overdue is True:
        tasks = tasks.overdue()
    elif filters.overdue is False:
        tasks = tasks.exclude(
            Q(kind=Kind.TODO, due_date__lt=timezone.now())
            & ~Q(status__in=[Status.COMPLETED, Status.CANCELLED])
        )
    # Bounds on the column itself (not created_at__date) so the (user, -created_at) index serves.
    if filters.created_from is not None:
        tasks = tasks.filter(created_at__gte=_day_start(filters.created_from))
    if filters.created_to is not None:
        tasks = tasks.filter(created_at__lt=_day_start(filters.created_to + timedelta(days=1)))
    if filters.q:
        tasks = search(tasks, filters.q)
    ordering = filters.ordering
    if ordering.lstrip("-") == "priority":
        return tasks.by_priority(descending=ordering.startswith("-"))
    # The id breaks ties so that pages never repeat or skip a row.
    return tasks.order_by(ordering, "-id" if ordering.startswith("-") else "id")


def task_totals(user: Any, filters: TaskFilters) -> Any:
    """The counts whose sum is how many tasks tasks_matching(user, filters) finds, one per
    workspace (LiveTaskCount, PostgreSQL only), when the filters keep whole workspaces; None
    otherwise, and the tasks are counted."""
    if not filters.whole_workspaces():
        return None
    totals = LiveTaskCount.objects.filter(workspace__memberships__user=user)
    if filters.workspace_id is not None:
        totals = totals.filter(workspace_id=filters.workspace_id)
    return totals


def _whole_number(value: Any, field: str, message: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or int(text) > 2**31 - 1:
        raise ValidationError({field: [message]}, code="invalid")
    return int(text)


def search(tasks: Any, q: str) -> Any:
    if settings.IS_POSTGRES:
        # Same expression as the GIN index in Task.Meta, so PostgreSQL can use it.
        return tasks.annotate(search=search_vector()).filter(
            search=SearchQuery(q, config="simple", search_type="websearch")
        )
    return tasks.filter(
        Q(title__icontains=q) | Q(description__icontains=q) | Q(transcript_text__icontains=q)
    )


def search_vector() -> SearchVector:
    return SearchVector("title", "description", "transcript_text", config="simple")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def sort_tasks(tasks: Any, sort: str) -> Any:
    """Order by one of SORTS (the dashboard's menu) or "priority" (most urgent first). Tasks
    without the value sorted on (no due date, no media length) come last either way; the id
    breaks ties so pages never overlap."""
    if sort == "priority":
        return tasks.by_priority()
    if sort not in SORTS:
        raise ValidationError({"sort": [f"Sort by one of: {', '.join(SORTS)}."]}, code="invalid")
    return tasks.order_by(*SORTS[sort])


def search_terms(q: str) -> list[str]:
    """The words a search looks for, read as websearch_to_tsquery reads them: quotes and OR are
    syntax, and a word after '-' is one the results must not contain."""
    terms: list[str] = []
    for token in q.split():
        if token.startswith("-"):
            continue
        for word in re.findall(r"\w+", token):
            if word.casefold() != "or" and word.casefold() not in map(str.casefold, terms):
                terms.append(word)
    return terms


@dataclass(frozen=True)
class Snippet:
    """Where a search matched inside a task: the text around it, escaped, with the matched words
    in <mark>, and the second of the recording it is spoken at when that is known."""

    html: SafeString
    start: float | None = None

    @property
    def fragment(self) -> str:
        """The task page's address fragment for that moment, like "t=12.5"."""
        if self.start is None:
            return ""
        return "t=" + f"{self.start:.2f}".rstrip("0").rstrip(".")


def search_snippet(task: Task, q: str) -> Snippet | None:
    """The first place the words of `q` occur in the task's transcript (a timed segment where
    the result has them), else in its text or description; None when only the title matched.
    Reads the result file, or the edited transcript's revision (cached: it never changes)."""
    pattern = _terms_pattern(search_terms(q))
    if pattern is None:
        return None
    if task.result_path and task.kind in (Kind.TRANSCRIPTION, Kind.VIDEO):
        for start, text in _transcript_segments(task):
            if (snippet := _snippet(text, pattern, start)) is not None:
                return snippet
    for text in (task.transcript_text, task.description):
        if (snippet := _snippet(text, pattern, None)) is not None:
            return snippet
    return None


def _terms_pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    # Whole words, as PostgreSQL's 'simple' configuration matches them; longest first so that
    # a word wins over another it starts with.
    words = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)", re.IGNORECASE)


def _snippet(text: str, pattern: re.Pattern[str], start: float | None) -> Snippet | None:
    text = " ".join(text.split())
    found = pattern.search(text)
    if found is None:
        return None
    begin = max(0, found.start() - SNIPPET_CONTEXT)
    end = min(len(text), found.end() + SNIPPET_CONTEXT)
    # Cut between words, not through one.
    if begin > 0:
        space = text.find(" ", begin, found.start())
        begin = space + 1 if space != -1 else begin
    if end < len(text):
        space = text.rfind(" ", found.end(), end)
        end = space if space != -1 else end
    window = text[begin:end]
    parts = ["…" if begin > 0 else ""]
    shown = 0
    for match in pattern.finditer(window):
        parts += [escape(window[shown : match.start()]), "<mark>", escape(match.group()), "</mark>"]
        shown = match.end()
    parts += [escape(window[shown:]), "…" if end < len(text) else ""]
    return Snippet(html=mark_safe("".join(parts)), start=start)  # noqa: S308 - every piece escaped


def _transcript_segments(task: Task) -> tuple[tuple[float, str], ...]:
    """(start, text) per segment of the transcript as it is now: edited, or the machine's."""
    if task.transcript_version:
        return _revision_segments(task.pk, task.transcript_version)
    version = result_version(task)
    try:
        return _segments(*version) if version else ()
    except blobs.StoreUnavailable:
        # The search still answers, from titles and texts, while the store is down.
        return ()


# A revision never changes once written, so (task, number) names its segments for good.
@lru_cache(maxsize=64)
def _revision_segments(task_id: uuid.UUID, number: int) -> tuple[tuple[float, str], ...]:
    segments = (
        TranscriptRevision.objects.filter(task_id=task_id, number=number)
        .values_list("segments", flat=True)
        .first()
    )
    return tuple((float(s["start"]), str(s.get("text", ""))) for s in segments or ())


# A page of search results reads up to PAGE_SIZE results on every poll; keep the last ones in
# memory, keyed by result_version (a result's name is never reused for other bytes).
@lru_cache(maxsize=64)
def _segments(name: str, _stamp: str) -> tuple[tuple[float, str], ...]:
    result = read_result(name)
    try:
        return tuple(
            (float(segment["start"]), str(segment.get("text", "")))
            for segment in (result or {}).get("segments") or ()
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()


def load_result(task: Task) -> dict[str, Any] | None:
    """The task's result JSON (possibly partial), or None while there is none."""
    if not task.result_path:
        return None
    return read_result(task.result_path)


def read_result(name: str) -> dict[str, Any] | None:
    """The stored result `name`, or None when it is absent or not a JSON object;
    blobs.StoreUnavailable when the store cannot be reached."""
    result = blobs.read_json(name)
    return result if isinstance(result, dict) else None


def result_version(task: Task) -> tuple[str, str] | None:
    """The task's result as (name, stamp), a key for caching what was read of it, or None while
    there is none. Each write of a result takes a new name (results/<task id>/<n>.json), so the
    name alone is the key, with no look at the store. Only an older row's result
    (results/<name>.json), which the workers of before rewrote in place, is stamped with its
    file's inode, time and size (on the local backend: an object store never held them)."""
    if not task.result_path:
        return None
    local = blobs.path(task.result_path)
    if local is None or "/" in task.result_path.removeprefix("results/"):
        return task.result_path, ""
    try:
        stat = local.stat()
    except FileNotFoundError:
        return None
    return task.result_path, f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def _kept(name: str) -> str | None:
    return name if name and blobs.exists(name) else None


def upload_name(task: Task) -> str | None:
    """The stored upload's name, or None when there is none (to-do, purged, lost)."""
    if task.audio_purged_at is not None:
        return None
    return _kept(task.file_path)


def normalized_audio_name(task: Task) -> str | None:
    """A video task's sound track as 16 kHz mono FLAC, when it was asked for and is kept."""
    if task.kind != Kind.VIDEO or task.audio_purged_at is not None:
        return None
    return _kept(normalized_audio_relpath(task.pk))


def task_files(task: Task) -> list[str]:
    """Every stored name of a task (tasks_app.blobs), its attachments' too (prefetch
    `attachments` when asking for many tasks)."""
    paths = [task.file_path, task.result_path, task.thumbnail_path]
    if task.kind == Kind.VIDEO:
        paths.append(normalized_audio_relpath(task.pk))
    paths += [attachment.file_path for attachment in task.attachments.all()]
    return [path for path in paths if path]


def purge_audio(task: Task) -> bool:
    """Delete a finished task's audio (and a video's extracted sound) but keep its transcript
    and result."""
    if not task.file_path or task.audio_purged_at is not None or task.is_active:
        return False
    blobs.delete(task.file_path)
    if task.kind == Kind.VIDEO:
        blobs.delete(normalized_audio_relpath(task.pk))
    task.audio_purged_at = timezone.now()
    task.save(update_fields=["audio_purged_at", "updated_at"])
    return True


@dataclass
class PurgeReport:
    tasks: int = 0
    files: int = 0


def _temporary(name: str) -> bool:
    return storage.writer_of(Path(name)) is not None


def being_written(path: Path, modified: datetime) -> bool:
    """Whether `path` is an `atomic_write` temporary file whose write may still be under way:
    its writer runs (a slow one may not touch it for long), or runs on another host, where the
    sweeper judges it (transcription.leftovers)."""
    writer = storage.writer_of(path)
    return writer is not None and storage.writer_alive(writer, modified.timestamp()) is not False


def purge_deleted(older_than: timedelta) -> PurgeReport:
    """Remove tasks soft-deleted before `older_than` ago, with their files, and stored files no
    task refers to (left by a crash between writing a file and saving its row)."""
    report = PurgeReport()
    cutoff = timezone.now() - older_than
    # An upload is written a moment before its row is saved: never take a fresh file for lost.
    orphan_cutoff = timezone.now() - ORPHAN_GRACE
    for task in Task.objects.filter(deleted_at__lt=cutoff).iterator():
        report.files += purge_task(task)
        report.tasks += 1
    tasks = Task.objects.only("pk", "kind", "file_path", "result_path", "thumbnail_path")
    known = {
        path
        for task in tasks.prefetch_related(
            Prefetch("attachments", Attachment.objects.only("pk", "task_id", "file_path"))
        )
        for path in task_files(task)
    }
    # Results are nested (results/<task id>/<n>.json) and older rows' are not: all of each
    # folder, however deep, on disk or in the bucket.
    for folder in ("uploads", "results", "attachments"):
        for name, modified in blobs.listing(folder):
            if (
                name not in known
                and modified < orphan_cutoff
                and not being_written(Path(name), modified)
                and blobs.delete(name)
            ):
                report.files += 1
    return report
