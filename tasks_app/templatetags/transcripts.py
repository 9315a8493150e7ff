"""The transcript workspace on the task page: the context every view of it renders with, and
the highlighting of a find-and-replace preview."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language_bidi

from tasks_app.models import Task
from tasks_app.transcripts import services
from tasks_app.transcripts.operations import Match

register = template.Library()

FORMATS = ("txt", "srt", "vtt", "tsv", "json", "docx")


def workspace_context(task: Task, **state: Any) -> dict[str, Any]:
    """What the workspace templates read. `state` is what a refused change shows again:
    `editing` (a segment id) and `typed`, `stale`, `problem`, `replacing`, `renaming`,
    `assigning`, `restored`, `focus`."""
    try:
        transcript = services.current(task)
    except services.NotReady:
        transcript = None
    editing = state.pop("editing", None)
    if transcript is None or editing not in {s["id"] for s in transcript.segments}:
        # The segment being edited is gone (deleted by someone else): the notice above the
        # transcript shows what was typed instead of its form.
        editing = None
    return {
        "editing": editing,
        "task": task,
        "transcript": transcript,
        "revisions": services.revisions(task) if transcript is not None else [],
        "formats": FORMATS,
        # The transcript's language; a segment in another one shows a badge.
        "language": task.detected_language or task.language or "",
        "ui_dir": "rtl" if get_language_bidi() else "ltr",
        **state,
    }


@register.inclusion_tag("tasks_app/transcripts/_workspace.html", takes_context=True)
def transcript_workspace(context: template.Context, task: Task) -> dict[str, Any]:
    return {**workspace_context(task), "csrf_token": context.get("csrf_token")}


def _marked(text: str, spans: list[tuple[int, int, str]], tag: str = "mark") -> SafeString:
    """`text` with each (begin, end, shown) span replaced by <tag>shown</tag>, escaped."""
    pieces: list[tuple[str, str]] = []
    position = 0
    for begin, end, shown in spans:
        pieces.append(("{}", text[position:begin]))
        pieces.append((f"<{tag}>{{}}</{tag}>", shown))
        position = end
    pieces.append(("{}", text[position:]))
    return format_html_join("", "{}", ((format_html(f, v),) for f, v in pieces))


@register.filter
def found(match: Match) -> SafeString:
    """A segment's text with what the find matches highlighted."""
    return _marked(match.text, [(b, e, match.text[b:e]) for b, e in match.spans])


@register.filter
def replaced(match: Match, replacement: str) -> SafeString:
    """The same text as the replace would leave it, the replacements highlighted; replaced by
    nothing, what goes is shown struck through."""
    if not replacement:
        return _marked(match.text, [(b, e, match.text[b:e]) for b, e in match.spans], "del")
    return _marked(match.text, [(b, e, replacement) for b, e in match.spans])


@register.filter
def match_count(matches: list[Match]) -> int:
    return sum(len(match.spans) for match in matches)
