"""In-app notifications (completed, failed, overdue), mailed too when the user asked for it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from tasks_app.integrations.models import Notification, TaskEvent
from writers import metrics

logger = logging.getLogger(__name__)

NOTIFIED_EVENTS = (TaskEvent.Kind.COMPLETED, TaskEvent.Kind.FAILED, TaskEvent.Kind.OVERDUE)


def notify(event: TaskEvent) -> Notification | None:
    """The owner's notification for `event` (None for events nobody is notified of)."""
    if event.event not in NOTIFIED_EVENTS:
        return None
    task = event.task
    notification = Notification.objects.create(
        user_id=task.user_id, task=task, event=event.event, title=task.title
    )
    if task.user.notify_by_email:
        # After commit: no mail for a notification that was rolled back.
        transaction.on_commit(partial(_mail, notification))
    return notification


def notify_user(
    user: User,
    event: TaskEvent.Kind,
    *,
    title: str,
    task: Any = None,
    actor: User | None = None,
    invitation: Any = None,
) -> Notification:
    """Tell one person about something another member did: assigned them a task, mentioned
    them in a comment, invited them to a workspace (`title`: the task's title, or the
    workspace's name for an invitation). Mailed too when they asked for mail."""
    notification = Notification.objects.create(
        user=user, task=task, event=event, title=title[:255], actor=actor, invitation=invitation
    )
    if user.notify_by_email:
        transaction.on_commit(partial(_mail, notification))
    return notification


def message(notification: Notification) -> str:
    """What happened, in the language of the current request."""
    texts = {
        TaskEvent.Kind.COMPLETED: _("“%(title)s” is done."),
        TaskEvent.Kind.FAILED: _("“%(title)s” failed."),
        TaskEvent.Kind.OVERDUE: _("“%(title)s” is overdue."),
        TaskEvent.Kind.CANCELLED: _("“%(title)s” was cancelled."),
        TaskEvent.Kind.COMMENTED: _("%(actor)s commented on “%(title)s”."),
        TaskEvent.Kind.ASSIGNED: _("%(actor)s assigned “%(title)s” to you."),
        TaskEvent.Kind.MENTIONED: _("%(actor)s mentioned you on “%(title)s”."),
        TaskEvent.Kind.INVITED: _("%(actor)s invited you to the workspace “%(title)s”."),
    }
    actor = notification.actor
    who = (actor.full_name or actor.username) if actor is not None else _("Someone")
    return texts[TaskEvent.Kind(notification.event)] % {"title": notification.title, "actor": who}


def link(notification: Notification) -> str:
    """Where the notification leads: the invitation to answer, the comments of a task someone
    commented on or mentioned the reader in, or the task; "" when it leads nowhere."""
    if notification.invitation_id is not None:
        return reverse("invitations")
    if notification.task_id is None:
        return ""
    page = reverse("task_detail", args=[notification.task_id])
    about_comments = (TaskEvent.Kind.COMMENTED, TaskEvent.Kind.MENTIONED)
    return page + "#comments" if notification.event in about_comments else page


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user=user)
        .select_related("actor", "invitation")
        .order_by("-created_at", "-pk")
    )


def mark_read(user: User, ids: Iterable[Any] | None = None) -> int:
    """Mark the user's notifications read (all of them when `ids` is None); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def _mail(notification: Notification) -> None:
    user = notification.user
    try:
        send_mail(
            # A title may hold line breaks, which a mail header must not (BadHeaderError).
            subject=" ".join(f"Writers: {message(notification)}".split()),
            message=(
                f"{message(notification)}\n\n{settings.SITE_URL.rstrip('/')}{link(notification)}\n"
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    except Exception:
        # The in-app notification stands; no mail server outage or odd address may stop the tick.
        logger.exception("Could not mail notification %s to %s", notification.pk, user.email)
        metrics.count_integration_error("mail")
