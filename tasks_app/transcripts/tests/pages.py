"""Helpers for the workspace page tests: a signed-in client and the htmx request header."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Task

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(client: Client, user: User) -> Client:
    client.cookies["access_token"] = issue_tokens(user)[0]
    return client


def url(task: Task, path: str = "") -> str:
    return f"/dashboard/tasks/{task.pk}/transcript{path}"
