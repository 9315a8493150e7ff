"""The API list's tasks as JSON text written by PostgreSQL: the bytes that TaskSerializer and
DRF's JSONRenderer give for each task, without a Task object, a serializer call or a json.dumps
per task in Python, which were two thirds of a list request's CPU (bench/LOAD.md).

Each field's SQL follows TaskSerializer's field of that name: tests/test_task_json.py compares
the bytes for every kind and state of task, and fails when the serializer gains a field this
module lacks. What the database cannot know is added in Python: the ETA of a waiting or running
task, from the web's queue schedule (`with_eta`), and a video whose normalized sound track is
kept is left to the serializer (`Row.text` None: its URL depends on the store having the file).
Only on PostgreSQL with the current time zone UTC (the default): elsewhere `available()` is
False and the list serializes every task.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from functools import cache
from typing import Any, NamedTuple

from django.db import connections
from django.db.models.expressions import RawSQL
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from tasks_app.models import ACTIVE, ANALYSIS_STALE, AnalysisStatus, Kind, Status, Task
from tasks_app.serializers import PK_PLACEHOLDER, eta_fields, task_url_templates
from writers.prepared import prepared_cursor

# Django names a query's own table by the table's name: the SQL below refers to its columns so.
TASK = f'"{Task._meta.db_table}"'


def available(using: str = "default") -> bool:
    """Whether PostgreSQL can write what the serializer and renderer would, byte for byte."""
    return (
        connections[using].vendor == "postgresql"
        and timezone.get_current_timezone_name() == "UTC"
        and api_settings.COMPACT_JSON
        and api_settings.UNICODE_JSON
    )


class Row(NamedTuple):
    """One task of a page."""

    pk: Any
    status: str
    # Waiting or running: its ETA comes from the web's queue schedule (with_eta).
    active: bool
    # The task's JSON text; None for a video with a kept sound track, which the serializer
    # writes (whether the store has the file decides its URL).
    text: str | None


def page(
    tasks: Callable[[], Any],
    start: int,
    stop: int,
    key: Hashable | None = None,
    reader: uuid.UUID | None = None,
    totals: Callable[[], Any] | None = None,
) -> tuple[list[Row], int | None]:
    """tasks()[start:stop] as rows, in order, and how many tasks there are in all (None for a
    page past the end, which has no row to carry it).

    `reader`, the id of the user whose list it is, is written into the statement instead of
    being one of its parameters, so that each reader's statement is prepared and planned apart
    (`_written_in`).

    `totals`, when given, builds a query of LiveTaskCount rows whose `live` add up to how many
    tasks `tasks` finds (or None where they do not): the total is then their sum, not a count
    of the tasks, which read an index entry for every task the reader sees (bench/LOAD.md).

    `key`, when given, stands for everything the queries `tasks` and `totals` build depend on
    (the reader and the list's checked filters, none of them the current time): the statement
    is then built and compiled once per key in the process instead of on every request, where
    that was a fifth of the web's CPU for a list (bench/LOAD.md)."""
    if key is None:
        sql, params = _statement(tasks(), start, stop, reader, totals)
    else:
        # What _request_params reads goes in the key too.
        kept_as = (key, start, stop, reader, get_language(), get_script_prefix(), get_urlconf())
        sql, params = _kept_statement(kept_as, tasks, start, stop, reader, totals)
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    return [
        Row(pk, status, active, None if sound else text)
        for pk, status, active, sound, text, _total in found
    ], found[0][-1] if found else None


def _statement(
    tasks: Any,
    start: int,
    stop: int,
    reader: uuid.UUID | None,
    totals: Callable[[], Any] | None = None,
) -> tuple[str, tuple[Any, ...]]:
    # The total comes with the page from the same statement: no second query, and the page
    # and its total agree (the counts change in the transactions that change the tasks).
    counts = totals() if totals is not None else None
    if counts is None:
        count_sql, count_params = tasks.order_by().values("pk").query.sql_with_params()
        total = f"(SELECT COUNT(*) FROM ({count_sql}) AS counted)"
    else:
        count_sql, count_params = counts.order_by().values("live").query.sql_with_params()
        total = f'(SELECT coalesce(sum("live"), 0) FROM ({count_sql}) AS counted)'
    rows = (
        tasks.prefetch_related(None)
        .select_related(None)
        .values_list(
            "pk",
            "status",
            RawSQL(_active(), ()),
            RawSQL(_sound_track(), ()),
            RawSQL(task_sql(), _request_params()),
            RawSQL(total, count_params),
        )
    )
    sql, params = rows[start:stop].query.sql_with_params()
    return (sql, params) if reader is None else _written_in(sql, params, reader)


# A parameter's place in Django's SQL; "%%" is a percent sign of the text itself.
_PLACE = re.compile(r"%[s%]")


def _written_in(sql: str, params: Sequence[Any], value: uuid.UUID) -> tuple[str, tuple[Any, ...]]:
    """The statement with each parameter equal to `value` written into its text.

    PostgreSQL keeps one plan per prepared statement, and after five runs it may keep a generic
    one, made without knowing whose list it is. The plan for a reader who sees most tasks
    (walk the newest tasks, keep those of their workspaces) then served a reader who sees few,
    reading every other workspace's tasks to find theirs: 22 ms instead of 7 at 10 000 tasks,
    and growing with the table. With the reader's id in its text, each reader's statement is
    prepared apart, its plan made for them. A UUID has nothing to escape."""
    kept: list[Any] = []
    remaining = iter(params)

    def place(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        param = next(remaining)
        if isinstance(param, uuid.UUID) and param == value:
            return f"'{param}'::uuid"
        kept.append(param)
        return "%s"

    text = _PLACE.sub(place, sql)
    assert next(remaining, None) is None, "as many places as parameters"
    return text, tuple(kept)


# Statements kept per web process (_kept_statement): a reader's pages and filters in use.
STATEMENTS_KEPT = 512
_statements: OrderedDict[Hashable, tuple[str, tuple[Any, ...]]] = OrderedDict()
# Each statement's text once, however many keys share it (readers differ only in parameters).
_texts: dict[str, str] = {}
_statements_lock = threading.Lock()


def _kept_statement(
    key: Hashable,
    tasks: Callable[[], Any],
    start: int,
    stop: int,
    reader: uuid.UUID | None,
    totals: Callable[[], Any] | None,
) -> tuple[str, tuple[Any, ...]]:
    with _statements_lock:
        kept = _statements.get(key)
        if kept is not None:
            _statements.move_to_end(key)
            return kept
    sql, params = _statement(tasks(), start, stop, reader, totals)
    with _statements_lock:
        if len(_texts) >= STATEMENTS_KEPT:
            _texts.clear()
        kept = _statements[key] = (_texts.setdefault(sql, sql), params)
        while len(_statements) > STATEMENTS_KEPT:
            _statements.popitem(last=False)
    return kept


ETA_UNKNOWN = '"eta":null,"queue_position":null'


def with_eta(text: str, eta: Any) -> str:
    """A task's JSON text with its ETA (transcription.services.Eta; None for none) written in,
    as TaskSerializer writes it."""
    fields = eta_fields(eta)
    if fields["eta"] is None and fields["queue_position"] is None:
        return text
    # A JSON string holds no bare quote, so only the fields themselves match.
    return text.replace(ETA_UNKNOWN, JSONRenderer().render(fields).decode()[1:-1], 1)


@cache
def _active() -> str:
    statuses = ", ".join(_literal(status) for status in sorted(ACTIVE))
    return f"({_col('file_path')} <> '' AND {_col('status')} IN ({statuses}))"


@cache
def _sound_track() -> str:
    return (
        f"({_col('kind')} = {_literal(Kind.VIDEO)} AND {_col('normalized_audio')}"
        f" AND {_col('audio_purged_at')} IS NULL)"
    )


def _request_params() -> list[str]:
    """task_sql's parameters, in their order there: the reader's word for a personal
    workspace, then the routes under the request's script prefix."""
    templates = task_url_templates()
    return [_("Personal"), *(part for name in URL_NAMES for part in _url_parts(templates[name]))]


def _url_parts(template: str) -> tuple[str, str]:
    """A route's template around the task's id, each part as JSON writes it in a string: the
    SQL puts the id between them, which needs no escaping (a UUID)."""
    before, after = template.split(PK_PLACEHOLDER)
    return _json_string_body(before), _json_string_body(after)


def _json_string_body(text: str) -> str:
    return JSONRenderer().render(text).decode()[1:-1]


URL_NAMES = ("detail", "file", "result", "thumbnail", "analyze", "speakers")


def _col(name: str, table: str = TASK) -> str:
    return f'{table}."{name}"'


def _table(relation: str) -> str:
    return f'"{Task._meta.get_field(relation).related_model._meta.db_table}"'


def _literal(value: str) -> str:
    # Only the module's own constants (choices, field names) are written into the SQL.
    assert "'" not in value
    return f"'{value}'"


# Each maker turns an SQL expression into the SQL of its JSON text.
def _text(sql: str) -> str:
    return f"to_json({sql})::text"


def _integer(sql: str) -> str:
    return f"coalesce(({sql})::text, 'null')"


def _boolean(condition: str) -> str:
    return f"CASE WHEN {condition} THEN 'true' ELSE 'false' END"


def _number(sql: str) -> str:
    """A float as Python's repr writes it: PostgreSQL's shortest form, with ".0" on whole
    numbers below 1e16 (where repr switches to an exponent, as PostgreSQL does)."""
    return (
        f"CASE WHEN {sql} IS NULL THEN 'null'"
        f" WHEN {sql} = trunc({sql}) AND abs({sql}) < 1e16 THEN ({sql})::bigint::text || '.0'"
        f" ELSE ({sql})::text END"
    )


def _moment(sql: str) -> str:
    """A timestamp as DRF writes one in UTC: ISO 8601, microseconds only when there are any,
    "Z" for the zone."""
    return (
        f"CASE WHEN {sql} IS NULL THEN 'null' ELSE concat('\"', replace(to_char({sql}"
        f" AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z'), '\"') END"
    )


def _object(pairs: Sequence[tuple[str, str]]) -> str:
    # One concat() per object: a chain of || copied the text so far at every step.
    parts = ", ".join(
        f"'{',' if number else '{'}\"{key}\":', {value}"
        for number, (key, value) in enumerate(pairs)
    )
    return f"concat({parts}, '}}')"


def _null_unless(condition: str, sql: str) -> str:
    return f"CASE WHEN {condition} THEN {sql} ELSE 'null' END"


@cache
def task_sql() -> str:
    """The SQL of one task's JSON text; its parameters are _request_params()."""
    return _object(list(_fields().items()))


def _fields() -> dict[str, str]:
    """The SQL of each field's JSON text, in TaskSerializer's order."""
    col = _col
    has_file = f"{col('file_path')} <> ''"
    stale = f"interval '{int(ANALYSIS_STALE.total_seconds())} seconds'"
    busy = ", ".join(_literal(s) for s in (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING))
    spoken = ", ".join(_literal(k) for k in (Kind.TRANSCRIPTION, Kind.VIDEO))
    completed = f"{col('status')} = {_literal(Status.COMPLETED)}"
    # Task.has_transcript_text as TaskQuerySet.without_text asks it: the start first.
    has_text = (
        f"(CASE WHEN left({col('transcript_text')}, 200) ~ '\\S' THEN true"
        f" ELSE {col('transcript_text')} ~ '\\S' END)"
    )
    can_analyze = (
        f"{col('kind')} IN ({spoken}) AND {completed} AND {has_text}"
        f" AND NOT ({col('analysis_status')} IN ({busy})"
        f" AND {col('analysis_requested_at')} IS NOT NULL"
        f" AND statement_timestamp() - {col('analysis_requested_at')} < {stale})"
    )
    can_label = (
        f"{col('kind')} IN ({spoken}) AND {completed} AND {col('result_path')} <> ''"
        f" AND {has_file} AND {col('audio_purged_at')} IS NULL"
        f" AND NOT ({col('speakers_status')} IN ({busy})"
        f" AND statement_timestamp() - {col('updated_at')} < {stale})"
    )
    overdue = (
        f"{col('kind')} = {_literal(Kind.TODO)} AND {col('due_date')} IS NOT NULL"
        f" AND {col('due_date')} < statement_timestamp()"
        f" AND {col('status')} NOT IN ({_literal(Status.COMPLETED)}, {_literal(Status.CANCELLED)})"
    )
    pk = f"{col('id')}::text"

    def url(condition: str | None) -> str:
        # Not to_json(replace(template, id)): the seven links were a fifth of PostgreSQL's time
        # for a task's JSON that way (6 of 34 us a task; 4 this way, bench/LOAD.md).
        link = f"concat('\"', %s::text, {pk}, %s::text, '\"')"
        return link if condition is None else _null_unless(condition, link)

    workspace = '"w"'
    person = '"u"'
    tag = '"t"'
    return {
        "id": _text(pk),
        "kind": _text(col("kind")),
        "title": _text(col("title")),
        "description": _text(col("description")),
        "status": _text(col("status")),
        "workspace": _integer(col("workspace_id")),
        "workspace_name": (
            f"(SELECT CASE WHEN {col('personal_owner_id', workspace)} IS NOT NULL"
            f" THEN {_text('%s::text')} ELSE {_text(col('name', workspace))} END"
            f" FROM {_table('workspace')} {workspace}"
            # LIMIT 1 on the key: looked up by its index, not by reading the table (below).
            f" WHERE {col('id', workspace)} = {col('workspace_id')} LIMIT 1)"
        ),
        "assignee": _null_unless(
            f"{col('assignee_id')} IS NOT NULL",
            "(SELECT "
            + _object(
                [
                    ("id", _text(f"{col('id', person)}::text")),
                    ("username", _text(col("username", person))),
                    ("full_name", _text(col("full_name", person))),
                ]
            )
            + f" FROM {_table('assignee')} {person}"
            + f" WHERE {col('id', person)} = {col('assignee_id')} LIMIT 1)",
        ),
        "priority": _text(col("priority")),
        "tags": (
            "(SELECT concat('[', string_agg("
            + _object(
                [
                    ("id", _integer(col("id", tag))),
                    ("name", _text(col("name", tag))),
                    ("color", _text(col("color", tag))),
                ]
            )
            + f", ',' ORDER BY {col('name', tag)}, {col('id', tag)}), ']')"
            f' FROM "{Task.tags.through._meta.db_table}" "tt" CROSS JOIN LATERAL'
            # LIMIT 1 (the id is the key) makes PostgreSQL look each tag up by its index; a
            # join read the whole tag table for every task (bench/LOAD.md).
            f' (SELECT * FROM {_table("tags")} WHERE "id" = "tt"."tag_id" LIMIT 1) {tag}'
            f' WHERE "tt"."task_id" = {col("id")})'
        ),
        "due_date": _moment(col("due_date")),
        "is_overdue": _boolean(overdue),
        "progress": _number(col("progress")),
        "error": _null_unless(
            f"NOT ({col('error_code')} = '' AND {col('error_message')} = '')",
            _object([("code", _text(col("error_code"))), ("detail", _text(col("error_message")))]),
        ),
        "attempts": _integer(col("attempts")),
        # Only a waiting or running task has them, written in by with_eta.
        "eta": "'null'",
        "queue_position": "'null'",
        "detected_language": _text(col("detected_language")),
        "language_probability": _number(col("language_probability")),
        "file": _null_unless(
            has_file,
            _object(
                [
                    ("name", _text(col("original_filename"))),
                    ("size", _integer(col("file_size"))),
                    ("content_type", _text(col("content_type"))),
                    ("sha256", _text(col("sha256"))),
                    ("duration_seconds", _number(col("duration_seconds"))),
                    ("purged", _boolean(f"{col('audio_purged_at')} IS NOT NULL")),
                ]
            ),
        ),
        "options": _null_unless(
            has_file,
            _object(
                [
                    ("model", _text(col("model_name"))),
                    ("language", _text(col("language"))),
                    ("task", _text(col("mode"))),
                    ("word_timestamps", _boolean(col("word_timestamps"))),
                    ("vad_filter", _boolean(col("vad_filter"))),
                    ("initial_prompt", _text(col("initial_prompt"))),
                    ("hotwords", _text(col("hotwords"))),
                    ("batched", _boolean(col("batched"))),
                    ("normalized_audio", _boolean(col("normalized_audio"))),
                    ("speakers", _integer(col("speakers"))),
                    ("channels", _text(col("channels"))),
                ]
            ),
        ),
        "has_result": _boolean(f"{col('result_path')} <> ''"),
        "analysis_status": _text(col("analysis_status")),
        "speakers_status": _text(col("speakers_status")),
        "speakers_error": _text(col("speakers_error")),
        "urls": _object(
            [
                ("self", url(None)),
                ("file", url(f"{has_file} AND {col('audio_purged_at')} IS NULL")),
                ("result", url(f"{col('result_path')} <> ''")),
                ("thumbnail", url(f"{col('thumbnail_path')} <> ''")),
                # Only a video's, which the serializer writes (the store must have the file).
                ("audio", "'null'"),
                ("analyze", url(can_analyze)),
                ("speakers", url(can_label)),
            ]
        ),
        "created_at": _moment(col("created_at")),
        "updated_at": _moment(col("updated_at")),
        "queued_at": _moment(col("queued_at")),
        "started_at": _moment(col("started_at")),
        "completed_at": _moment(col("completed_at")),
    }


def written_fields() -> list[str]:
    """The fields of a task's JSON text, in order."""
    return list(_fields())
