"""bench/RESULTS.md is written by several benches, each owning one `## ` section of it (run.py the
text before the first section and "On a GPU", memory.py "Memory", batched.py the decision,
latency.py "Fixed cost per task"): a bench replaces its own section and keeps every other."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
TITLE = "# Benchmark results\n"


def _split(text: str) -> list[str]:
    """The text before the first section, then each `## ` section whole."""
    head, *sections = text.split("\n## ")
    return [head, *("## " + section for section in sections)]


def read_section(heading: str) -> str:
    """The section under `heading` as it is now (heading included), or ""."""
    text = RESULTS.read_text() if RESULTS.exists() else ""
    return next((part for part in _split(text)[1:] if part.startswith(heading + "\n")), "")


def write_section(heading: str | None, body: str, results: Path | None = None) -> None:
    """Put `body` in place of the section under `heading` (which `body` starts with), or at the
    end when there is none yet; with heading None, in place of the text before the first
    section. `results`: another file of sections (bench/LOAD.md)."""
    results = results or RESULTS
    parts = _split(results.read_text() if results.exists() else TITLE)
    if heading is None:
        parts[0] = body
    else:
        found = [i for i, part in enumerate(parts[1:], 1) if part.startswith(heading + "\n")]
        if found:
            parts[found[0]] = body
        else:
            parts.append(body)
    results.write_text("\n\n".join(part.strip("\n") for part in parts if part.strip()) + "\n")
