"""The task page's details name the languages a recording was spoken in and whether its stereo
channels were transcribed as one speaker each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Status, Task


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def page(client: Client, task: Task) -> str:
    return client.get(f"/dashboard/tasks/{task.pk}").content.decode()


def test_it_names_each_language_spoken(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    result["languages"] = ["de", "en"]
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)

    body = page(alice_client, task)

    assert "Languages spoken</dt><dd>German · English</dd>" in body


def test_it_says_when_each_channel_was_its_own_speaker(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    result["run"] = {"model": "tiny.en", "channels": "split"}
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)
    alice_client.cookies["django_language"] = "fa"

    body = page(alice_client, task)

    assert "کانال‌های استریو</dt><dd>خودکار · هر کانال یک گوینده، جداگانه رونویسی شد" in body


def test_it_says_nothing_of_channels_or_languages_for_a_plain_recording(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict[str, Any]
) -> None:
    task = make_task(alice, file=True, result=result, status=Status.COMPLETED)

    body = page(alice_client, task)

    assert "Stereo channels" not in body and "Languages spoken" not in body
