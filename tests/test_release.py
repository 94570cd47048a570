"""The student versions in assignments/ are a fresh, idempotent release with nothing secret in them."""
import json
import sys

import nbformat
import pytest

from grader.notebooks import MARKERS
from tests.conftest import ASSIGNMENTS, REPO, run
from tests.studentwork import secret_lines



@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("release")
    out = tmp / "assignments"
    cmd = [sys.executable, "-m", "grader", "--workdir", str(tmp / "work"), "--release-dir", str(out), "release"]
    run(cmd)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run(cmd)
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    return first, second


def test_release_is_idempotent(fresh_release):
    first, second = fresh_release
    assert first == second


def test_committed_assignments_equal_a_fresh_release(fresh_release):
    fresh, _ = fresh_release
    committed = {p.relative_to(REPO / "assignments"): p.read_bytes()
                 for p in (REPO / "assignments").rglob("*") if p.is_file()}
    stale = sorted(str(p) for p in set(fresh) | set(committed) if fresh.get(p) != committed.get(p))
    assert not stale, f"assignments/ is stale, run `python -m grader release` and commit: {stale}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_holds_no_solution_and_no_hidden_test(assignment_id):
    released = (REPO / "assignments" / assignment_id / f"{assignment_id}.ipynb").read_text()
    for marker in MARKERS:
        assert marker not in released
    secrets = secret_lines(assignment_id)
    assert secrets
    released_sources = "\n".join(c["source"] if isinstance(c["source"], str) else "".join(c["source"])
                                 for c in json.loads(released)["cells"])
    leaked = sorted(line for line in secrets if line in released_sources)
    assert not leaked, f"solution or hidden-test lines in the release: {leaked[:5]}"


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_release_has_blanks_and_no_outputs(assignment_id):
    nb = nbformat.read(REPO / "assignments" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    blanks = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert blanks and all("raise NotImplementedError()" in c.source for c in blanks if c.cell_type == "code")
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
