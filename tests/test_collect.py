"""collect: Colab round-trips, LMS exports and every kind of bad input, each reported in a line,
none stopping the rest of the class; repaired notebooks still earn their marks."""
import copy
import json
import os
import sys
import time
import zipfile

import nbformat
import pytest

from tests.conftest import REPO, run
from tests.studentwork import graded_cells, student_submission

GRADER = [sys.executable, "-m", "grader"]


def colab_mangled(nb):
    """What a Colab download does to a notebook: cell metadata gone, Colab's added, no nbformat_minor."""
    data = json.loads(nbformat.writes(nb))
    data["metadata"] = {"colab": {"provenance": [], "name": "Copy of attention.ipynb"},
                        "kernelspec": {"name": "python3", "display_name": "Python 3"}}
    for cell in data["cells"]:
        cell["metadata"] = {"id": "x" + cell.get("id", "")[:7]}
        cell.pop("id", None)
    data.pop("nbformat_minor")
    return json.dumps(data, indent=1)


def other_release():
    others = [p for p in sorted((REPO / "assignments").glob("*/*.ipynb")) if p.parent.name != "attention"]
    return others[0] if others else None


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collect")
    correct = student_submission("attention")
    good = nbformat.writes(correct)
    folder = tmp / "handed-in"
    (folder / "alice").mkdir(parents=True)
    (folder / "alice" / "Copy of attention.ipynb").write_text(colab_mangled(correct))
    (folder / "bob").mkdir()
    (folder / "bob" / "attention (1).ipynb").write_text(good)
    (folder / "dave.ipynb").write_text(nbformat.writes(nbformat.convert(copy.deepcopy(correct), 3), version=3))
    # A comment typed in a Windows editor: one cp1252 byte that is not valid UTF-8.
    (folder / "erin.ipynb").write_bytes(good.replace("d_head = q.shape[-1]", "d_head = q.shape[-1]  # CAFE")
                                        .encode().replace(b"CAFE", "café".encode("cp1252")))
    (folder / "frank.ipynb").write_text("{ not json at all")
    (folder / "grace.ipynb").write_text(good[: len(good) // 2])
    (folder / "heidi.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    (folder / "ivan.ipynb").write_bytes(b"")
    (folder / "judy.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# My holiday photos")])))
    other = other_release()
    if other:
        (folder / "mallory.ipynb").write_text(other.read_text())
    (folder / "carol").mkdir()
    (folder / "carol" / "attention.ipynb").write_text(good)
    (folder / "carol" / "attention-final.ipynb").write_text(good.replace("Week 1 ·", "Week 1 (final) ·"))
    now = time.time()
    os.utime(folder / "carol" / "attention.ipynb", (now - 3600, now - 3600))

    lms = tmp / "lms-export.zip"
    with zipfile.ZipFile(lms, "w") as z:
        z.writestr("smith_12345_67890_attention.ipynb", colab_mangled(correct))
        z.writestr("jones_23456_78901_Copy of attention.ipynb", good)
        z.writestr("readme.txt", "exported by the LMS")

    workdir = tmp / "work"
    common = [*GRADER, "--workdir", str(workdir)]
    report = run([*common, "collect", "attention", str(folder)]).stdout
    report += run([*common, "collect", "attention", str(lms), "--student-pattern", r"^[^_]+_(?P<student>\d+)_"]).stdout
    return dict(workdir=workdir, report=report, common=common, other=other)


def line_about(report, who):
    lines = [line for line in report.splitlines() if who in line]
    assert lines, f"the report says nothing about {who}:\n{report}"
    return "\n".join(lines)


def test_every_readable_notebook_is_filed(collected):
    filed = sorted(p.name for p in (collected["workdir"] / "submitted").iterdir())
    assert filed == ["12345", "23456", "alice", "bob", "carol", "dave", "erin"]


@pytest.mark.parametrize("who, says", [
    ("frank", "invalid JSON"),
    ("grace", "cut off"),
    ("heidi", "no cells"),
    ("ivan", "empty"),
    ("judy", "does not look like the attention notebook"),
    ("dave", "converted from nbformat 3"),
    ("erin", "re-read as cp1252"),
    ("alice", "re-attached nbgrader metadata"),
    ("alice", "added the missing nbformat_minor"),
    ("alice", "removed Colab's notebook metadata"),
    ("carol", "the later one, carol/attention-final.ipynb, counts"),
])
def test_each_problem_gets_a_clear_line(collected, who, says):
    assert says in line_about(collected["report"], who)


def test_a_notebook_of_another_assignment_is_named(collected):
    if not collected["other"]:
        pytest.skip("only one assignment is released")
    assert f"this is the {collected['other'].parent.name} notebook" in line_about(collected["report"], "mallory")


def test_nothing_is_lost(collected):
    work = collected["workdir"]
    rejected = sorted(p.parent.name for p in (work / "rejected" / "attention").glob("*/*"))
    assert {"frank", "grace", "heidi", "ivan", "judy"} <= set(rejected)
    assert (work / "superseded" / "attention" / "carol" / "attention.ipynb").exists()
    carol = (work / "submitted" / "carol" / "attention" / "attention.ipynb").read_text()
    assert "Week 1 (final)" not in carol    # read-only cells come from the release...
    assert (work / "reports" / "attention-collect.txt").exists()


@pytest.mark.slow
def test_repaired_notebooks_earn_full_marks(collected):
    students = ["alice", "dave", "erin", "12345", "23456"]
    run([*collected["common"], "autograde", "attention", "--no-canary", "--jobs", "2", "--device", "cpu",
         *[arg for s in students for arg in ("--student", s)]], timeout=900)
    cells = graded_cells(collected["workdir"], "attention")
    for student in students:
        score = sum(s for s, _ in cells[student].values())
        assert score == 15, (student, cells[student])
