"""Comments on a task: add, edit, delete, list and the edit history, used by the page and the API.

A comment is Markdown, stored as typed and rendered on the way out: markdown-it (CommonMark, raw
HTML off), then nh3 (the Ammonia sanitiser) with a short allow-list, so nothing a member types
can run in another member's browser. `@username` of a workspace member becomes a highlighted
mention and notifies them (once: an edit notifies only people it newly mentions); the task's
owner and assignee are told of every other comment. Every new comment is posted to the owner's
webhooks as `task.commented`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import nh3
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tasks_app.comments.models import Comment, CommentEdit
from tasks_app.integrations import notifications, webhooks
from tasks_app.integrations.models import TaskEvent
from tasks_app.models import Task
from tasks_app.workspaces.models import Role, role_allows

MAX_CHARS = 10_000
# More than this many @names in one comment are not looked up (nor notified): a list of every
# member is not a conversation.
MAX_MENTIONS = 20
# A username as Django allows it, ending on a letter or digit so "@bob." and "@bob," mention bob.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*\w)")
ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li", "a", "span",
    "h3", "h4", "h5", "h6",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "dir"},
    "span": {"title", "dir"},
    "ol": {"start", "dir"},
    **{tag: {"dir"} for tag in ("p", "ul", "li", "blockquote", "h3", "h4", "h5", "h6")},
}
# Each block takes the direction of its own text: a Persian paragraph after an English one.
OWN_DIRECTION = {
    "paragraph_open", "bullet_list_open", "ordered_list_open", "list_item_open",
    "blockquote_open", "heading_open",
}  # fmt: skip

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})


def _image_as_link(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
    # No pictures from elsewhere in the page (tracking pixels, giant images): a link to them.
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or token.attrGet("src")
    return format_html('<a href="{}">{}</a>', token.attrGet("src") or "", alt)


_markdown.add_render_rule("image", _image_as_link)


def _tokens(body: str) -> list[Token]:
    tokens = _markdown.parse(body)
    for token in tokens:
        # The page's own headings stay above a comment's: # becomes h3, ## h4 and so on.
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 2, 6)}"
        if token.type in OWN_DIRECTION:
            token.attrSet("dir", "auto")
    return tokens


def _children(tokens: Iterable[Token]) -> Iterable[tuple[Token, bool]]:
    """Every inline token's children, each with whether a mention may be in it: text, but not
    code (its own token type) nor a link's text."""
    for token in tokens:
        if token.type != "inline":
            continue
        in_link = 0
        for child in token.children or []:
            if child.type == "link_open":
                in_link += 1
            elif child.type == "link_close":
                in_link -= 1
            yield child, child.type == "text" and not in_link


def mentioned_names(body: str) -> list[str]:
    """The @names in `body`, lowercased, in order, once each (code and link texts left out)."""
    names: dict[str, None] = {}
    for token, plain in _children(_tokens(body)):
        for match in MENTION.finditer(token.content) if plain else ():
            names[match.group(1).lower()] = None
    return list(names)[:MAX_MENTIONS]


def members_named(workspace_id: Any, names: Iterable[str]) -> dict[str, Any]:
    """The workspace's members among `names` (lowercased usernames), by lowercased username."""
    names = list(names)
    if not names:
        return {}
    users = (
        get_user_model()
        .objects.filter(memberships__workspace_id=workspace_id)
        .annotate(lowered=Lower("username"))
        .filter(lowered__in=names)
    )
    return {user.lowered: user for user in users}


def render(body: str, members: dict[str, Any] | None = None) -> SafeString:
    """`body` as sanitised HTML; `@name` of someone in `members` (see members_named) as a
    mention."""
    tokens = _tokens(body)
    for token in tokens:
        if token.type == "inline":
            children = [(child, plain) for child, plain in _children([token])]
            token.children = [
                piece
                for child, plain in children
                for piece in (_with_mentions(child, members or {}) if plain else [child])
            ]
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes={"span": {"mention"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 (nh3 has just sanitised it)


def _with_mentions(token: Token, members: dict[str, Any]) -> list[Token]:
    """A text token as a run of text and mention tokens."""
    pieces: list[Token] = []
    position = 0
    for match in MENTION.finditer(token.content):
        user = members.get(match.group(1).lower())
        if user is None:
            continue
        pieces.append(_text(token.content[position : match.start()]))
        mention = Token("html_inline", "", 0)
        mention.content = format_html(
            '<span class="mention" dir="auto" title="{}">@{}</span>',
            user.full_name or user.username,
            user.username,
        )
        pieces.append(mention)
        position = match.end()
    if not pieces:
        return [token]
    return [*pieces, _text(token.content[position:])]


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def clean_body(body: Any) -> str:
    body = str(body or "").strip()
    if not body:
        raise ValidationError({"body": ValidationError(_("Write something first."), code="blank")})
    if len(body) > MAX_CHARS:
        raise ValidationError(
            {
                "body": ValidationError(
                    _("A comment holds at most %(max)s characters; this one has %(count)s.")
                    % {"max": MAX_CHARS, "count": len(body)},
                    code="too_long",
                )
            }
        )
    return body


def can_edit(comment: Comment, user: Any) -> bool:
    return comment.author_id == user.pk


def can_delete(comment: Comment, user: Any, role: str) -> bool:
    return comment.author_id == user.pk or role_allows(role, Role.ADMIN)


def can_see_history(role: str) -> bool:
    return role_allows(role, Role.ADMIN)


@transaction.atomic
def add_comment(task: Task, author: Any, body: Any) -> Comment:
    """A member's comment (viewers may comment); ValidationError for an empty or long body."""
    comment = Comment.objects.create(task=task, author=author, body=clean_body(body))
    mentioned = _notify_mentions(comment, set())
    _notify_followers(comment, skip=mentioned)
    webhooks.queue_comment(comment)
    return comment


@transaction.atomic
def edit_comment(comment: Comment, user: Any, body: Any) -> Comment:
    """Its author's new text; the old one is kept as a CommentEdit."""
    if not can_edit(comment, user):
        raise PermissionDenied(_("Only its author can edit a comment."))
    body = clean_body(body)
    locked = (
        Comment.objects.select_for_update().filter(pk=comment.pk, deleted_at__isnull=True).first()
    )
    if locked is None:  # deleted since it was read
        raise Http404("No such comment.")
    if body == locked.body:
        return locked
    CommentEdit.objects.create(comment=locked, body=locked.body, edited_by=user)
    before = set(mentioned_names(locked.body))
    locked.body, locked.edited_at = body, timezone.now()
    locked.save(update_fields=["body", "edited_at"])
    locked.author = comment.author
    locked.task = comment.task
    _notify_mentions(locked, before)
    return locked


@transaction.atomic
def delete_comment(comment: Comment, user: Any, role: str) -> bool:
    """Gone from the page and the API for everyone; its text is kept as a CommentEdit for the
    admins. False when it was already deleted."""
    if not can_delete(comment, user, role):
        raise PermissionDenied(_("Only its author or a workspace admin can delete a comment."))
    # Locked and read again: the text kept is the one deleted, even after an edit elsewhere.
    locked = (
        Comment.objects.select_for_update().filter(pk=comment.pk, deleted_at__isnull=True).first()
    )
    if locked is None:
        return False
    locked.deleted_at = comment.deleted_at = timezone.now()
    locked.save(update_fields=["deleted_at"])
    CommentEdit.objects.create(comment=locked, body=locked.body, edited_by=user)
    return True


def get_comment(task: Task, comment_id: Any, *, deleted: bool = False) -> Comment:
    """One of the task's comments (with its author); Http404 when there is none (or it was
    deleted, unless `deleted`)."""
    comments = Comment.objects.filter(task=task).select_related("author")
    if not deleted:
        comments = comments.filter(deleted_at__isnull=True)
    try:
        comment = comments.get(pk=comment_id)
    except (Comment.DoesNotExist, ValueError, TypeError) as error:
        raise Http404("No such comment.") from error
    comment.task = task
    return comment


def comments_for(task: Task, user: Any, *, deleted: bool = False) -> list[Comment]:
    """The task's live comments, oldest first, ready to show to `user` (whose role is
    `task.role`, from get_task_for_user): `html`, `can_edit`, `can_delete`, and for admins
    `history` (the edits, newest first). `deleted`: the deleted ones too (admins only; their
    `deleted_at` is set). Three queries, whatever the number of comments."""
    history = can_see_history(task.role)
    if deleted and not history:
        raise PermissionDenied(_("Only the workspace's admins can see deleted comments."))
    comments = Comment.objects.filter(task=task).select_related("author")
    if not deleted:
        comments = comments.filter(deleted_at__isnull=True)
    if history:
        edits = CommentEdit.objects.select_related("edited_by").order_by("-edited_at", "-pk")
        comments = comments.prefetch_related(Prefetch("edits", edits, to_attr="history"))
    comments = list(comments)
    names = {name for comment in comments for name in mentioned_names(comment.body)}
    members = members_named(task.workspace_id, names)
    for comment in comments:
        comment.task = task
        prepare(comment, user, task.role, members)
        if not history:
            comment.history = []
    return comments


def prepare(
    comment: Comment, user: Any, role: str, members: dict[str, Any] | None = None
) -> Comment:
    """Attach what a reader's view of one comment needs (`members`: looked up when None)."""
    if members is None:
        members = members_named(comment.task.workspace_id, mentioned_names(comment.body))
    comment.html = render(comment.body, members)
    alive = comment.deleted_at is None
    comment.can_edit = alive and can_edit(comment, user)
    comment.can_delete = alive and can_delete(comment, user, role)
    return comment


def history(comment: Comment, role: str) -> list[CommentEdit]:
    """What a comment said before each edit (and before its deletion), newest first: admins
    only."""
    if not can_see_history(role):
        raise PermissionDenied(_("Only the workspace's admins can see a comment's history."))
    return list(
        CommentEdit.objects.filter(comment=comment)
        .select_related("edited_by")
        .order_by("-edited_at", "-pk")
    )


def _notify_mentions(comment: Comment, already: set[str]) -> set[Any]:
    """Notify the members `comment` mentions, but not its author nor anyone in `already`
    (lowercased names an earlier text mentioned); returns the ids of those notified."""
    names = [name for name in mentioned_names(comment.body) if name not in already]
    task = comment.task
    notified = set()
    for user in members_named(task.workspace_id, names).values():
        if user.pk == comment.author_id:
            continue
        notifications.notify_user(
            user, TaskEvent.Kind.MENTIONED, task=task, title=task.title, actor=comment.author
        )
        notified.add(user.pk)
    return notified


def _notify_followers(comment: Comment, skip: set[Any]) -> None:
    """The task's owner and assignee hear of a comment they did not write, while they are
    members (a mention already told them)."""
    task = comment.task
    ids = {task.user_id, task.assignee_id} - {None, comment.author_id} - skip
    if not ids:
        return
    followers = get_user_model().objects.filter(
        pk__in=ids, memberships__workspace_id=task.workspace_id
    )
    for user in followers:
        notifications.notify_user(
            user, TaskEvent.Kind.COMMENTED, task=task, title=task.title, actor=comment.author
        )
