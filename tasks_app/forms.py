from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tasks_app.bulk import ACTIONS
from tasks_app.dates import DueDateField, DueDateInput, jalali_text, parse_date_text
from tasks_app.models import (
    MANUAL_STATUSES,
    MAX_SPEAKERS,
    Channels,
    Kind,
    Mode,
    Priority,
    Status,
    Task,
)
from tasks_app.tags.forms import TagIdsField
from tasks_app.templatetags.writers import language_name, localdigits
from tasks_app.uploads import ACCEPTED_EXTENSIONS
from transcription import services as transcription

# The picker offers what the server accepts; the server checks the real content again.
ACCEPT_ATTRIBUTE = ",".join(ACCEPTED_EXTENSIONS)


class DayInput(DueDateInput):
    """A calendar day: in Persian the due date's Jalali text box and calendar, otherwise the
    browser's date input."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.format = "%Y-%m-%d"


class DayField(forms.DateField):
    """A day typed as Jalali in Persian (or ISO), as the browser's yyyy-mm-dd otherwise."""

    widget = DayInput

    def to_python(self, value: Any) -> date | None:
        if not (get_language() or "").startswith("fa") or not isinstance(value, str):
            return super().to_python(value)
        if not value.strip():
            return None
        parsed = parse_date_text(value)
        if parsed is None:
            raise forms.ValidationError(
                _("Write the date as year/month/day, for example %(example)s."),
                code="invalid",
                params={"example": jalali_text(timezone.localdate())},
            )
        return parsed.date()


def workspace_choices(workspaces: Any) -> list[tuple[int, str]]:
    """(id, name) of the workspaces, the personal one first."""
    ordered = sorted(workspaces, key=lambda workspace: not workspace.is_personal)
    return [(workspace.pk, workspace.display_name) for workspace in ordered]


def person_name(user: Any) -> str:
    return user.full_name or user.username


class WorkspaceChoiceMixin:
    """A `workspace` select among the workspaces where the user may add tasks (editor or
    admin), the personal one first and chosen; left out when there is only that one."""

    fields: dict[str, forms.Field]

    def add_workspace_field(self, writable: Any) -> None:
        choices = workspace_choices(writable or ())
        if len(choices) > 1:
            self.fields["workspace"] = forms.TypedChoiceField(
                label=_("Workspace"),
                choices=choices,
                coerce=int,
                initial=choices[0][0],
                required=False,
                empty_value=None,
            )


class FilterForm(forms.Form):
    """The dashboard's search, filters and sort, read from the query string. `workspaces` are
    the user's, for the workspace select."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    workspace = forms.TypedChoiceField(
        label=_("Workspace"), required=False, coerce=int, empty_value=None
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("All priorities")), *Priority.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All statuses")), *Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    created_from = DayField(label=_("Created from"), required=False)
    created_to = DayField(label=_("Created to"), required=False)
    tag = TagIdsField(label=_("Tags"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Due date, soonest first")),
            ("length", _("Length, longest first")),
            ("priority", _("Priority, most urgent first")),
        ],
    )

    def __init__(self, *args: Any, workspaces: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workspace"].choices = [
            ("", _("All workspaces")),
            *workspace_choices(workspaces),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("created_from"), cleaned.get("created_to")
        if first and last and first > last:
            self.add_error(
                "created_to",
                forms.ValidationError(
                    _("The end of the date range is before its start."), code="date_range"
                ),
            )
        return cleaned

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list (the sort does not)."""
        return any(
            self.data.get(name)
            for name in ("q", "status", "kind", "created_from", "created_to", "tag")
        )


class TaskFieldsForm(forms.Form):
    """The fields every task has, whether it carries a file or is a plain to-do."""

    title = forms.CharField(label=_("Title"), max_length=255)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_date = DueDateField(label=_("Due date"), required=False)

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's ValidationError on the field it names, or above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip()
        if not title:
            raise forms.ValidationError(_("Give the task a title."), code="required")
        return title


class TodoForm(WorkspaceChoiceMixin, TaskFieldsForm):
    """A new to-do; `writable`: the workspaces it may go to (a select when more than one)."""

    def __init__(self, *args: Any, writable: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_workspace_field(writable)
        if "workspace" in self.fields:
            # The dashboard's filter form has a `workspace` select too: ids must not collide.
            self.fields["workspace"].widget.attrs["id"] = "id_todo_workspace"


class TaskEditForm(TaskFieldsForm):
    """A task's fields; `members` of its workspace to assign it to, `writable` workspaces to
    move it to."""

    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)

    def __init__(
        self, *args: Any, task: Task, members: Any = (), writable: Any = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.task = task
        self.fields["assignee"].choices = [
            ("", _("Nobody")),
            *((str(user.pk), person_name(user)) for user in members),
        ]
        choices = workspace_choices(writable)
        if len(choices) > 1:
            self.fields["workspace"] = forms.TypedChoiceField(
                label=_("Workspace"),
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                help_text=_(
                    "Moving drops the task's tags, and its assignee when not a member there."
                ),
            )
        if not task.has_file:
            # Only to-dos are moved between statuses by hand; files follow the worker.
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"),
                choices=[
                    (value, label) for value, label in Status.choices if value in MANUAL_STATUSES
                ],
            )

    def clean_priority(self) -> str:
        # A form posted without it (an older page, a script) leaves the priority as it was.
        return self.cleaned_data.get("priority") or self.task.priority


class UploadForm(WorkspaceChoiceMixin, TaskFieldsForm):
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_("%(types)s, up to %(size)s MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
    any_file = forms.BooleanField(
        label=_("Any other file: keep its size, type and checksums"),
        help_text=_("Recordings, videos and documents are still recognised by their content."),
        required=False,
    )
    text = forms.CharField(
        label=_("Or paste a text to analyse"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    normalized_audio = forms.BooleanField(
        label=_("Videos: also keep the sound as 16 kHz mono FLAC"), required=False
    )
    channels = forms.ChoiceField(
        label=_("Stereo channels"),
        choices=Channels.choices,
        initial=Channels.AUTO,
        required=False,
        help_text=_(
            "A call or interview with one speaker per channel is transcribed per channel, with "
            "a speaker for each. Automatic does this only when the channels really differ."
        ),
    )
    speakers = forms.IntegerField(
        label=_("Label speakers automatically: how many people speak"),
        min_value=0,
        max_value=MAX_SPEAKERS,
        initial=0,
        required=False,
        help_text=_(
            "0 is off. The labels are approximate: check them in the transcript. Stereo "
            "recordings split by channel get a speaker per channel instead."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    model = forms.ChoiceField(label=_("Model"), required=False)
    mode = forms.ChoiceField(
        label=_("Transcribe or translate"),
        choices=Mode.choices,
        initial=Mode.TRANSCRIBE,
        widget=forms.RadioSelect,
    )

    field_order = [
        "file",
        "any_file",
        "text",
        "workspace",
        "title",
        "description",
        "due_date",
        "language",
        "model",
        "mode",
        "normalized_audio",
        "channels",
        "speakers",
    ]

    def __init__(self, *args: Any, writable: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_workspace_field(writable)
        # The title comes from the file name when left empty (the page's script fills it too).
        self.fields["title"].required = False
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "types": ", ".join(extension.lstrip(".").upper() for extension in ACCEPTED_EXTENSIONS),
            "size": localdigits(self.max_megabytes),
        }
        names = [(code, language_name(code)) for code in transcription.LANGUAGES]
        self.fields["language"].choices = [
            ("", _("Detect automatically")),
            *sorted(names, key=lambda item: item[1]),
        ]
        models = transcription.available_models()
        self.fields["model"].choices = [(name, name) for name in models]
        # Left empty the server picks its default model; with models to pick from, pick one.
        self.fields["model"].required = bool(models)
        if settings.MODEL_NAME in models:
            self.fields["model"].initial = settings.MODEL_NAME

    # Under "Advanced", folded away unless one of them needs attention or was filled in.
    advanced_fields = (
        "text",
        "any_file",
        "title",
        "description",
        "due_date",
        "model",
        "mode",
        "normalized_audio",
        "channels",
        "speakers",
    )

    @property
    def advanced_open(self) -> bool:
        if any(name in self.errors for name in self.advanced_fields):
            return True
        return self.is_bound and any(
            self.data.get(name) for name in ("text", "any_file", "description", "due_date")
        )

    @property
    def max_bytes(self) -> int:
        return settings.MAX_UPLOAD_BYTES

    @property
    def max_megabytes(self) -> int:
        return settings.MAX_UPLOAD_BYTES // (1024 * 1024)

    @property
    def accept_extensions(self) -> str:
        return ",".join(ACCEPTED_EXTENSIONS)

    def clean_title(self) -> str:
        return self.cleaned_data["title"].strip()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload = cleaned.get("file")
        text = (cleaned.get("text") or "").strip()
        if upload is None and not text and "file" not in self.errors:
            self.add_error(
                "file", forms.ValidationError(_("Choose a file or paste a text."), code="required")
            )
        if upload is not None and text:
            self.add_error(
                "text",
                forms.ValidationError(
                    _("Send either a file or a text, not both."), code="file_and_text"
                ),
            )
        if upload is None and text and not cleaned.get("title"):
            cleaned["title"] = text.splitlines()[0][:60]
        if upload is not None:
            if upload.size > settings.MAX_UPLOAD_BYTES:
                self.add_error(
                    "file",
                    forms.ValidationError(
                        _("The file is larger than %(size)s MB."),
                        code="too_large",
                        params={"size": localdigits(self.max_megabytes)},
                    ),
                )
            if not cleaned.get("title"):
                cleaned["title"] = (Path(upload.name).stem or upload.name)[:255]
        return cleaned

    def options(self) -> dict[str, Any]:
        return {
            "language": self.cleaned_data.get("language") or "",
            "model": self.cleaned_data.get("model") or "",
            "task": self.cleaned_data["mode"],
            "normalized_audio": self.cleaned_data.get("normalized_audio", False),
            "channels": self.cleaned_data.get("channels") or Channels.AUTO,
            "speakers": self.cleaned_data.get("speakers") or 0,
        }


class BulkForm(forms.Form):
    """The dashboard's bulk bar: one action on the ticked tasks (their ids come as `ids`,
    from checkboxes on the cards). Each action's button sends its name as `action`."""

    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS])
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=Priority.choices, initial=Priority.HIGH
    )
    tag = forms.TypedChoiceField(label=_("Tag"), required=False, coerce=int, empty_value=None)
    workspace = forms.TypedChoiceField(
        label=_("Move to"), required=False, coerce=int, empty_value=None
    )

    def __init__(
        self, *args: Any, members: Any = (), tags: Any = (), writable: Any = (), **kwargs: Any
    ) -> None:
        kwargs.setdefault("prefix", "bulk")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Nobody")),
            *((str(user.pk), person_name(user)) for user in members),
        ]
        several = len({tag.workspace_id for tag in tags}) > 1
        self.fields["tag"].choices = [
            (tag.pk, f"{tag.workspace.display_name}: {tag.name}" if several else tag.name)
            for tag in tags
        ]
        self.fields["workspace"].choices = workspace_choices(writable)

    def values(self) -> dict[str, Any]:
        """What the chosen action needs, as tasks_app.bulk.bulk_update takes it."""
        data = self.cleaned_data
        action = data["action"]
        if action == "assign":
            return {"assignee": data.get("assignee") or None}
        if action == "tag":
            return {"tags": [data["tag"]] if data.get("tag") else []}
        if action == "priority":
            return {"priority": data.get("priority") or ""}
        if action == "move":
            return {"workspace": data.get("workspace")}
        return {}
