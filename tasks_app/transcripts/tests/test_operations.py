"""The transcript's edits as pure functions: every rule on plain lists, no database."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import translation

from tasks_app.transcripts.operations import (
    InvalidOperation,
    apply_operations,
    matches,
    normalize,
    speakers_of,
    text_of,
)
from tasks_app.transcripts.tests.conftest import TRANSCRIPT


@pytest.fixture
def segments() -> list[dict[str, Any]]:
    return normalize(TRANSCRIPT["segments"])


def apply(segments: list[dict[str, Any]], *operations: dict[str, Any]) -> list[dict[str, Any]]:
    return apply_operations(segments, list(operations))[0]


def refused(segments: list[dict[str, Any]], *operations: Any) -> InvalidOperation:
    with pytest.raises(InvalidOperation) as error:
        apply_operations(segments, list(operations))
    return error.value


def test_it_normalizes_the_machines_segments(segments: list[dict[str, Any]]) -> None:
    assert [s["id"] for s in segments] == [0, 1, 2]
    assert segments[0]["text"] == "And so my fellow Americans,"
    assert "avg_logprob" not in segments[0]
    assert segments[0]["words"][0]["word"] == " And"
    assert segments[1]["speaker"] == "Speaker 1"
    assert segments[0]["speaker"] is None and segments[0]["language"] is None
    assert speakers_of(segments) == ["Speaker 1", "Speaker 2"]


def test_it_numbers_segments_whose_ids_repeat() -> None:
    shaped = normalize([{"id": 0, "start": 0, "end": 1, "text": "a"}] * 2)
    assert [s["id"] for s in shaped] == [0, 1]


def test_it_edits_text_and_keeps_the_input_unchanged(segments: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(segments)
    edited, summary = apply_operations(segments, [{"op": "edit", "id": 1, "text": "  Ask not. "}])
    assert edited[1]["text"] == "Ask not."
    assert summary == "Edited segment 1"
    assert segments == before


def test_it_drops_word_timings_only_when_the_words_no_longer_match(
    segments: list[dict[str, Any]],
) -> None:
    same = apply(segments, {"op": "edit", "id": 0, "text": "And so my fellow Americans,"})
    assert len(same[0]["words"]) == 5
    changed = apply(segments, {"op": "edit", "id": 0, "text": "And so, my fellow Americans,"})
    assert "words" not in changed[0]


def test_it_moves_times_and_keeps_the_order(segments: list[dict[str, Any]]) -> None:
    edited = apply(segments, {"op": "edit", "id": 1, "start": 4.25, "end": 9.2})
    assert (edited[1]["start"], edited[1]["end"]) == (4.25, 9.2)


@pytest.mark.parametrize(
    ("operation", "field"),
    [
        ({"op": "edit", "id": 1, "start": -1}, "operations[0].start"),
        ({"op": "edit", "id": 1, "start": 3.5}, "operations[0].start"),
        ({"op": "edit", "id": 1, "end": 10}, "operations[0].end"),
        ({"op": "edit", "id": 1, "start": 9.0}, "operations[0].start"),
        ({"op": "edit", "id": 1, "end": "soon"}, "operations[0].end"),
        ({"op": "edit", "id": 1, "end": float("nan")}, "operations[0].end"),
        ({"op": "edit", "id": 1, "text": ""}, "operations[0].text"),
        ({"op": "edit", "id": 1, "text": 5}, "operations[0].text"),
        ({"op": "edit", "id": 1}, "operations[0].text"),
        ({"op": "edit", "id": 99, "text": "x"}, "operations[0].id"),
        ({"op": "edit", "id": "1", "text": "x"}, "operations[0].id"),
        ({"op": "split", "id": 1, "at": 0}, "operations[0].at"),
        ({"op": "split", "id": 1, "at": 41}, "operations[0].at"),
        ({"op": "split", "id": 1, "at": 3, "time": 9.5}, "operations[0].time"),
        ({"op": "merge", "id": 2}, "operations[0].id"),
        ({"op": "merge"}, "operations[0].id"),
        ({"op": "delete", "id": 7}, "operations[0].id"),
        ({"op": "speaker", "ids": [], "speaker": "A"}, "operations[0].ids"),
        ({"op": "speaker", "ids": [1, 8], "speaker": "A"}, "operations[0].ids[1]"),
        ({"op": "rename_speaker", "from": "Nobody", "to": "A"}, "operations[0].from"),
        ({"op": "rename_speaker", "from": "Speaker 1", "to": " "}, "operations[0].to"),
        ({"op": "replace", "find": "", "replace": "x"}, "operations[0].find"),
        ({"op": "replace", "find": "absent", "replace": "x"}, "operations[0].find"),
        ({"op": "replace", "find": "you", "whole_word": "yes"}, "operations[0].whole_word"),
        ({"op": "shout"}, "operations[0].op"),
        ("edit", "operations[0]"),
    ],
)
def test_it_names_the_field_of_a_bad_operation(
    segments: list[dict[str, Any]], operation: Any, field: str
) -> None:
    assert refused(segments, operation).field == field


@pytest.mark.parametrize("operations", [[], {"op": "edit"}, None])
def test_it_requires_a_list_of_operations(segments: list[dict[str, Any]], operations: Any) -> None:
    with pytest.raises(InvalidOperation) as error:
        apply_operations(segments, operations)
    assert error.value.field == "operations"


def test_it_applies_all_or_nothing_and_names_the_failing_index(
    segments: list[dict[str, Any]],
) -> None:
    error = refused(segments, {"op": "delete", "id": 0}, {"op": "edit", "id": 0, "text": "x"})
    assert error.field == "operations[1].id"


def test_it_splits_at_a_word_boundary_with_the_words_time(segments: list[dict[str, Any]]) -> None:
    edited, summary = apply_operations(segments, [{"op": "split", "id": 0, "at": 10}])
    first, second = edited[0], edited[1]
    assert first["text"] == "And so my" and second["text"] == "fellow Americans,"
    assert second["id"] == 3
    assert first["end"] == second["start"] == 2.0
    assert [w["word"] for w in first["words"]] == [" And", " so", " my"]
    assert [w["word"] for w in second["words"]] == [" fellow", " Americans,"]
    assert summary == "Split segment 0"


def test_it_drops_word_timings_when_the_cut_is_inside_a_word(
    segments: list[dict[str, Any]],
) -> None:
    edited = apply(segments, {"op": "split", "id": 0, "at": 21})
    assert (edited[0]["text"], edited[1]["text"]) == ("And so my fellow Amer", "icans,")
    assert edited[1]["start"] == 3.0
    assert "words" not in edited[0] and "words" not in edited[1]
    first_word = apply(segments, {"op": "split", "id": 0, "at": 2})
    assert 0.0 < first_word[1]["start"] < 4.0


def test_it_splits_proportionally_without_word_timings(segments: list[dict[str, Any]]) -> None:
    text = segments[1]["text"]
    edited = apply(segments, {"op": "split", "id": 1, "at": len(text) // 2})
    assert edited[1]["end"] == edited[2]["start"]
    assert 6.5 < edited[2]["start"] < 7.0
    assert edited[2]["speaker"] == "Speaker 1"
    timed = apply(segments, {"op": "split", "id": 1, "at": 4, "time": 5.0})
    assert timed[2]["start"] == 5.0 and timed[2]["text"] == "not what your country can do for you."


def test_it_merges_with_the_next_segment(segments: list[dict[str, Any]]) -> None:
    edited, summary = apply_operations(segments, [{"op": "merge", "id": 1}])
    assert [s["id"] for s in edited] == [0, 1]
    assert edited[1]["text"] == "ask not what your country can do for you. Thank you."
    assert (edited[1]["start"], edited[1]["end"]) == (4.5, 11.0)
    assert summary == "Merged segments 1 and 2"


def test_it_deletes(segments: list[dict[str, Any]]) -> None:
    assert [s["id"] for s in apply(segments, {"op": "delete", "id": 1})] == [0, 2]


def test_it_sets_clears_and_renames_speakers(segments: list[dict[str, Any]]) -> None:
    named, summary = apply_operations(
        segments, [{"op": "speaker", "ids": [0, 2], "speaker": " Dr.  Karimi "}]
    )
    assert [s["speaker"] for s in named] == ["Dr. Karimi", "Speaker 1", "Dr. Karimi"]
    assert summary == "Set the speaker of 2 segments to Dr. Karimi"
    cleared = apply(segments, {"op": "speaker", "ids": [1], "speaker": ""})
    assert cleared[1]["speaker"] is None
    renamed = apply(
        segments + [{**segments[2], "id": 3, "start": 11.0, "end": 12.0, "speaker": "Speaker 1"}],
        {"op": "rename_speaker", "from": "Speaker 1", "to": "Dr. Karimi"},
    )
    assert [s["speaker"] for s in renamed] == [None, "Dr. Karimi", "Speaker 2", "Dr. Karimi"]


def test_it_replaces_across_the_transcript(segments: list[dict[str, Any]]) -> None:
    edited, summary = apply_operations(
        segments, [{"op": "replace", "find": "YOU", "replace": "ye", "whole_word": True}]
    )
    assert edited[1]["text"] == "ask not what your country can do for ye."
    assert edited[2]["text"] == "Thank ye."
    assert summary == "Replaced 'YOU' with 'ye' (2 times)"
    with pytest.raises(InvalidOperation):
        apply_operations(segments, [{"op": "replace", "find": "YOU", "match_case": True}])


def test_it_previews_matches(segments: list[dict[str, Any]]) -> None:
    found = matches(segments, "you", "ye", whole_word=True)
    assert [(m.id, m.spans) for m in found] == [(1, ((37, 40),)), (2, ((6, 9),))]
    assert found[1].replaced == "Thank ye."
    assert matches(segments, "you", match_case=True)[0].spans == ((13, 16), (37, 40))
    assert [m.id for m in matches(segments, "yo")] == [1, 2]
    assert matches(segments, "yo", whole_word=True) == []


def test_it_allows_overlap_across_channels() -> None:
    stereo = normalize(
        [
            {"id": 0, "start": 0, "end": 3, "text": "left", "channel": 0},
            {"id": 1, "start": 1, "end": 2, "text": "right", "channel": 1},
        ]
    )
    assert apply(stereo, {"op": "edit", "id": 1, "end": 2.5})[1]["end"] == 2.5


def test_it_joins_the_text(segments: list[dict[str, Any]]) -> None:
    assert text_of(segments) == (
        "And so my fellow Americans, ask not what your country can do for you. Thank you."
    )


def test_it_tells_edits_of_a_kind_together() -> None:
    operations = [
        {"op": "edit", "id": 0, "text": "a"},
        {"op": "delete", "id": 2},
        {"op": "edit", "id": 1, "start": 4.6},
        {"op": "edit", "id": 0, "end": 4.2},
        {"op": "speaker", "ids": [1], "speaker": None},
    ]
    summary = apply_operations(normalize(TRANSCRIPT["segments"]), operations)[1]
    assert summary == "Edited segments 0, 1; Deleted segment 2; Cleared the speaker of segment"


def test_it_writes_the_summary_in_the_editors_language(segments: list[dict[str, Any]]) -> None:
    with translation.override("fa"):
        summary = apply_operations(segments, [{"op": "delete", "id": 2}])[1]
    assert summary == "بخش 2 حذف شد"
