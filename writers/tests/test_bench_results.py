"""bench/RESULTS.md has one section per bench: each bench rewrites its own and keeps the others
(a GPU run of bench/run.py once dropped the Memory section that followed its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.results import read_section, write_section

BEFORE = """# Benchmark results

CPU table

## On a GPU

Not run yet.

## Memory

| worker | 270 MiB |

## Batched or sequential: the decision

### CPU

batched
"""


def test_it_rewrites_one_section_and_keeps_the_others(tmp_path: Path, monkeypatch: Any) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text(BEFORE)
    monkeypatch.setattr("bench.results.RESULTS", results)

    write_section("## On a GPU", "## On a GPU\n\nH200 figures\n")
    write_section(None, "# Benchmark results\n\nnew CPU table\n")
    write_section("## Fixed cost per task", "## Fixed cost per task\n\n409 ms\n")

    text = results.read_text()
    assert text.index("new CPU table") < text.index("H200 figures") < text.index("270 MiB")
    assert "Not run yet" not in text and "\nCPU table" not in text
    assert read_section("## Memory") == "## Memory\n\n| worker | 270 MiB |\n"
    assert read_section("## Batched or sequential: the decision").endswith("### CPU\n\nbatched\n")
    assert text.endswith("## Fixed cost per task\n\n409 ms\n")


def test_it_writes_the_sections_of_another_file(tmp_path: Path, monkeypatch: Any) -> None:
    # bench/LOAD.md: make load writes the text before the first section, its transcribing
    # rows one section, make bench-stall another.
    monkeypatch.setattr("bench.results.RESULTS", tmp_path / "RESULTS.md")
    load = tmp_path / "LOAD.md"
    load.write_text("# Load results\n\nold table\n\n## Stall\n\nstall rows\n")

    write_section(None, "# Load results\n\nnew table\n", results=load)
    write_section("## Transcribing", "## Transcribing\n\np99 90 ms\n", results=load)

    assert load.read_text() == (
        "# Load results\n\nnew table\n\n## Stall\n\nstall rows\n\n## Transcribing\n\np99 90 ms\n"
    )
    assert not (tmp_path / "RESULTS.md").exists()
