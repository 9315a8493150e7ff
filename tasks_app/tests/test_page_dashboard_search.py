"""GET /dashboard with a search, filters and a sort: what matched, shown where it matched."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.tokens import issue_tokens
from tasks_app.models import Kind, Status, Task


@pytest.fixture
def alice_client(client: Client, alice: User) -> Client:
    client.cookies["access_token"] = issue_tokens(alice)[0]
    return client


def titles(client: Client, query: str) -> list[str]:
    body = client.get(f"/dashboard?{query}").content.decode()
    return re.findall(r'<h3 dir="auto"><a href="[^"]+">([^<]+)</a></h3>', body)


def created(task: Task, when: datetime) -> Task:
    # auto_now_add ignores a value given at creation, so the test moves it afterwards.
    Task.objects.filter(pk=task.pk).update(created_at=when)
    return task


@pytest.fixture
def three(alice: User, make_task: Callable[..., Task]) -> list[Task]:
    now = timezone.now()
    return [
        created(
            make_task(alice, title="old long", file=True, due_date=now + timedelta(days=9)),
            now - timedelta(days=3),
        ),
        created(make_task(alice, title="middle to-do", due_date=now + timedelta(days=1)), now),
        created(make_task(alice, title="new short", file=True), now + timedelta(minutes=1)),
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["new short", "middle to-do", "old long"]),
        ("newest", ["new short", "middle to-do", "old long"]),
        ("oldest", ["old long", "middle to-do", "new short"]),
        # Soonest due first; a task without a due date comes last.
        ("due", ["middle to-do", "old long", "new short"]),
        # Longest recording first; a to-do has no length and comes last.
        ("length", ["old long", "new short", "middle to-do"]),
    ],
)
def test_it_sorts(alice_client: Client, three: list[Task], sort: str, expected: list[str]) -> None:
    Task.objects.filter(title="old long").update(duration_seconds=3600)
    Task.objects.filter(title="new short").update(duration_seconds=5)
    assert titles(alice_client, f"sort={sort}") == expected


def test_it_filters_by_kind(alice_client: Client, three: list[Task]) -> None:
    assert titles(alice_client, f"kind={Kind.TODO}") == ["middle to-do"]
    assert titles(alice_client, f"kind={Kind.TRANSCRIPTION}&sort=oldest") == [
        "old long",
        "new short",
    ]


def test_it_filters_by_a_date_range_with_both_days_included(
    alice_client: Client, three: list[Task]
) -> None:
    today = timezone.localdate()
    three_days_ago = today - timedelta(days=3)
    assert titles(alice_client, f"created_from={today}") == ["new short", "middle to-do"]
    assert titles(alice_client, f"created_to={three_days_ago}") == ["old long"]
    assert titles(alice_client, f"created_from={three_days_ago}&created_to={three_days_ago}") == [
        "old long"
    ]


def test_a_backwards_date_range_says_what_is_wrong(alice_client: Client, three: list[Task]) -> None:
    today = timezone.localdate()
    response = alice_client.get(
        f"/dashboard?created_from={today}&created_to={today - timedelta(days=1)}",
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    # The message arrives with the list, which is what a live filter swaps in.
    assert body.startswith('<div id="task-list"')
    assert 'id="filter-errors"' in body
    assert "The end of the date range is before its start." in body


def test_a_date_that_is_no_date_says_so(alice_client: Client, three: list[Task]) -> None:
    body = alice_client.get("/dashboard?created_from=yesterday").content.decode()
    assert "Enter a valid date." in body
    # The rest of the list is still there to work with.
    assert body.count('class="task-card"') == 3


def test_it_shows_the_matching_words_in_a_snippet_linked_to_their_moment(
    backend: str,
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict,
) -> None:
    task = make_task(alice, title="Speech", file=True, status=Status.COMPLETED, result=result)
    body = alice_client.get("/dashboard?q=country").content.decode()
    link = f'href="/dashboard/tasks/{task.pk}#t=4.5"'
    assert link in body
    assert "ask not what your <mark>country</mark> can do for you." in body
    assert '<time class="snippet-time">00:04.5</time>' in body


def test_a_snippet_escapes_the_transcript(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict
) -> None:
    evil = '<script>alert("x")</script> secret <img src=x onerror=alert(1)> & more'
    result["text"] = evil
    result["segments"] = [{"id": 0, "start": 0.0, "end": 3.0, "text": evil}]
    make_task(alice, title="Harmless", file=True, status=Status.COMPLETED, result=result)
    body = alice_client.get("/dashboard?q=secret").content.decode()
    snippet = re.search(r'<span class="snippet-text" dir="auto">(.*?)</span>', body)
    assert snippet is not None
    assert snippet.group(1) == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>secret</mark> "
        "&lt;img src=x onerror=alert(1)&gt; &amp; more"
    )
    assert "<script>alert" not in body and "<img src=x" not in body


def test_a_description_snippet_is_escaped_too(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Notes", description='a <b>bold</b> "claim"')
    body = alice_client.get("/dashboard?q=bold").content.decode()
    assert "a &lt;b&gt;<mark>bold</mark>&lt;/b&gt; &quot;claim&quot;" in body


def test_a_snippet_from_a_text_without_times_links_to_the_task(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    words = " ".join(f"word{number}" for number in range(100))
    task = make_task(
        alice,
        title="Document",
        file=True,
        status=Status.COMPLETED,
        result={"text": f"{words} needle {words}", "segments": []},
    )
    Task.objects.filter(pk=task.pk).update(kind=Kind.TEXT)
    body = alice_client.get("/dashboard?q=needle").content.decode()
    assert f'<p class="search-snippet"><a href="/dashboard/tasks/{task.pk}">' in body
    # A long text is cut to the words around the match, between words.
    snippet = re.search(r'<span class="snippet-text" dir="auto">(.*?)</span>', body)
    assert snippet is not None and snippet.group(1).startswith("…")
    assert snippet.group(1).endswith("…") and "<mark>needle</mark>" in snippet.group(1)
    assert len(snippet.group(1)) < 200


def test_a_title_match_needs_no_snippet(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    make_task(alice, title="Budget meeting")
    body = alice_client.get("/dashboard?q=budget").content.decode()
    assert "Budget meeting" in body
    assert "search-snippet" not in body


def test_it_keeps_search_filters_and_sort_in_the_poll_and_the_pages(
    alice_client: Client, alice: User, make_task: Callable[..., Task]
) -> None:
    for number in range(14):
        make_task(alice, title=f"Call {number:02d}", file=True, status=Status.PROCESSING)
    query = "q=call&kind=transcription&sort=oldest"
    body = alice_client.get(f"/dashboard?{query}").content.decode()
    assert f'hx-get="/dashboard?{query.replace("&", "&amp;")}"' in body
    assert f'href="?{query.replace("&", "&amp;")}&amp;page=2"' in body


def test_its_filters_apply_without_a_button_except_without_javascript(
    alice_client: Client,
) -> None:
    body = alice_client.get("/dashboard").content.decode()
    start = body.index('id="task-filters"')
    toolbar = body[start : body.index("</form>", start)]
    assert "change from:#task-filters select" in toolbar
    assert "input changed delay:400ms from:#id_q" in toolbar
    assert '<noscript><button type="submit"' in toolbar
    assert toolbar.count("<button") == 1


def test_its_search_queries_do_not_grow_with_the_number_of_snippets(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict
) -> None:
    make_task(alice, file=True, status=Status.COMPLETED, result=result)
    with CaptureQueriesContext(connection) as one:
        alice_client.get("/dashboard?q=Americans&sort=length")
    for _number in range(10):
        make_task(alice, file=True, status=Status.COMPLETED, result=result)
    with CaptureQueriesContext(connection) as eleven:
        body = alice_client.get("/dashboard?q=Americans&sort=length").content.decode()
    assert body.count("<mark>Americans</mark>") == 11
    assert len(eleven) == len(one)


def test_it_speaks_persian(
    alice_client: Client, alice: User, make_task: Callable[..., Task], result: dict
) -> None:
    result["segments"] = [{"id": 0, "start": 61.0, "end": 64.0, "text": "سلام به همه دوستان"}]
    result["text"] = "سلام به همه دوستان"
    make_task(alice, title="گفتگو", file=True, status=Status.COMPLETED, result=result)
    alice_client.cookies["django_language"] = "fa"
    body = alice_client.get("/dashboard?q=دوستان").content.decode()
    assert "سلام به همه <mark>دوستان</mark>" in body
    assert '<time class="snippet-time">۰۱:۰۱.۰</time>' in body
    assert "مرتب‌سازی" in body


def test_it_finds_nothing_of_someone_elses(
    client: Client, charlie: User, alice: User, make_task: Callable[..., Any], result: dict
) -> None:
    make_task(alice, title="Speech", file=True, status=Status.COMPLETED, result=result)
    client.cookies["access_token"] = issue_tokens(charlie)[0]
    body = client.get("/dashboard?q=Americans").content.decode()
    assert "<mark>" not in body and "Speech" not in body
    assert "No task matches" in body


def test_persian_readers_filter_by_jalali_days(
    alice_client: Client, alice: User, make_task: Callable[..., Task], settings: Any
) -> None:
    settings.TIME_ZONE = "Asia/Tehran"
    nowruz = datetime(2026, 3, 21, 9, 0, tzinfo=ZoneInfo("Asia/Tehran"))  # 1405/01/01
    created(make_task(alice, title="Nowruz"), nowruz)
    created(make_task(alice, title="Eve"), nowruz - timedelta(hours=10))
    created(make_task(alice, title="Next day"), nowruz + timedelta(days=1))
    alice_client.cookies["django_language"] = "fa"
    assert titles(alice_client, "created_from=۱۴۰۵/۰۱/۰۱&created_to=۱۴۰۵/۰۱/۰۱") == ["Nowruz"]
    body = alice_client.get("/dashboard?created_from=۱۴۰۵/۰۱/۰۱").content.decode()
    # The box shows the day as it was typed, in the reader's calendar and digits.
    assert 'value="۱۴۰۵/۰۱/۰۱"' in body and "data-jalali-picker" in body
    body = alice_client.get("/dashboard?created_to=فردا").content.decode()
    assert "تاریخ را به شکل سال/ماه/روز بنویسید" in body


def test_it_still_finds_by_text_while_the_store_is_down(
    s3_down: Callable[[], None],
    alice_client: Client,
    alice: User,
    make_task: Callable[..., Task],
    result: dict,
) -> None:
    task = make_task(alice, title="Speech", file=True, status=Status.COMPLETED, result=result)
    s3_down()
    response = alice_client.get("/dashboard?q=country")
    assert response.status_code == 200
    # The snippet comes from the transcript text the row keeps, without a moment to link to.
    assert f'href="/dashboard/tasks/{task.pk}"' in response.content.decode()
    assert "<mark>country</mark>" in response.content.decode()
