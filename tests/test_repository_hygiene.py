"""The repository speaks for itself: no tracked file points at notes outside it or at a package
registry's host.

Statements cite the papers they come from (or the docs page that derives them); a reader of a
clone has neither the files outside the repository nor a reason to meet a registry's host name.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCOPE = ("src", "tests", "docs", "benchmarks", "README.md")


def _host(*labels: str) -> str:
    # assembled here so that this file does not itself contain the names it forbids
    return ".".join(labels)


OUTSIDE_NOTES = ("THEORY" + ".md", "DESIGN" + ".md", "STYLE" + ".md", "../" + "shared")
#: The notes cited without their suffix ("THEORY §4", "the formula of THEORY").
OUTSIDE_NOTES_WORD = re.compile(r"\bTHEORY\b")
REGISTRY_HOSTS = (
    _host("pypi", "org"),
    _host("pythonhosted", "org"),
    _host("npmjs", "org"),
    _host("npmjs", "com"),
    _host("crates", "io"),
    _host("proxy", "golang", "org"),
    _host("anaconda", "org"),
    _host("repo", "anaconda", "com"),
    _host("rubygems", "org"),
    _host("nuget", "org"),
    _host("repo", "maven", "apache", "org"),
)
#: Files that still name the founding design notes, shared with other work: each must be cleaned
#: by its owner, then removed here (the test fails when a listed file no longer needs it).
PENDING: dict[str, tuple[str, ...]] = {}


def _tracked_files() -> list[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(
        ["git", "ls-files", "-z", "--", *SCOPE], cwd=ROOT, capture_output=True, check=True
    )
    own = Path(__file__).resolve().relative_to(ROOT).as_posix()  # names them to forbid them
    return [name for name in out.stdout.decode().split("\0") if name and name != own]


def _mentions(names: list[str], needles: tuple[str, ...]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name in names:
        path = ROOT / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits = [n for n in needles if n.lower() in text.lower()]
        if needles is OUTSIDE_NOTES and OUTSIDE_NOTES_WORD.search(text) and not hits:
            hits = ["THEORY"]
        if hits:
            found[name] = hits
    return found


def test_no_tracked_file_points_outside_the_repository() -> None:
    names = _tracked_files()
    assert any(n.startswith("src/") for n in names)  # the listing itself works
    found = _mentions(names, OUTSIDE_NOTES)
    unexpected = {
        name: [n for n in hits if n not in PENDING.get(name, ())] for name, hits in found.items()
    }
    unexpected = {name: hits for name, hits in unexpected.items() if hits}
    assert not unexpected, f"cite the paper (or the docs page) instead: {unexpected}"
    stale = [name for name in PENDING if name not in found]
    assert not stale, f"{stale} no longer name the notes: remove them from PENDING"


def test_no_tracked_file_names_a_package_registry_host() -> None:
    found = _mentions(_tracked_files(), REGISTRY_HOSTS)
    assert not found, f"registry host names in {found}"


def test_the_check_sees_a_mention(tmp_path: Path) -> None:
    # the scan itself can fail: a file that names the notes is found, one that does not is not
    (tmp_path / "a.md").write_text("see THEORY" + ".md §2")
    (tmp_path / "b.md").write_text("see KTB, arXiv:1905.12207 (a theory of depth)")
    (tmp_path / "c.py").write_text("# the formula of THEORY" + " §3")
    names = [str(tmp_path / n) for n in ("a.md", "b.md", "c.py")]
    assert _mentions(names, OUTSIDE_NOTES) == {names[0]: ["THEORY" + ".md"], names[2]: ["THEORY"]}
