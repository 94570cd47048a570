"""Every assignment, graded as a class through the real grader: the solution earns full marks (the
release with its blanks filled in), the blank release earns nothing, and a wrong version loses
points in the tests it names. Feedback, the report, stats and the grades CSV come out of the same run.

One class, attention's (the quickest), is graded as an instructor runs it: every step through the
command line, and the canary first, which hands in the source notebook whole. The others skip the
canary and call feedback and export through grader.api: the source earning full marks is what
`correct` shows here through the same grader, and what tests/test_wrong_versions.py shows in-process
(measured on 2 cores: the canary, or the source handed in as one more student, cost each class a
kernel that ran the whole notebook again, 15 to 30 worker-seconds).

Each student costs a kernel, so the class holds one wrong version per assignment (the first of its
catalogue); tests/test_wrong_versions.py grades every wrong version in-process, in seconds.
COURSE_ALL_MUTANTS=1 grades the whole catalogue here too."""
import csv
import html as html_lib
import importlib
import os
import re
import sys

import nbformat
import pytest

from grader import api
from grader.course import Course
from tests.conftest import ASSIGNMENTS, GRADING_JOBS, REPO, run
from tests.studentwork import graded_cells, secret_lines, write_class

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

GRADER = [sys.executable, "-m", "grader"]


CANARY_CLASS = "attention"


def mutants_of(assignment_id):
    """The wrong versions this class holds: the catalogue's first, or (COURSE_ALL_MUTANTS=1) all of it."""
    catalogue = importlib.import_module(f"tests.mutants.{assignment_id}")
    if os.environ.get("COURSE_ALL_MUTANTS") == "1":
        return {**catalogue.MUTANTS, **getattr(catalogue, "EXTRA_MUTANTS", {})}
    first = next(iter(catalogue.MUTANTS))
    return {first: catalogue.MUTANTS[first]}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory):
    """Collect, autograde, feedback and export one whole class of one assignment."""
    assignment_id = request.param
    tmp = tmp_path_factory.mktemp(f"class-{assignment_id}")
    workdir, handed_in = tmp / "work", tmp / "handed-in"
    mutants = mutants_of(assignment_id)
    write_class(handed_in, assignment_id, mutants)
    canary = assignment_id == CANARY_CLASS
    common = [*GRADER, "--workdir", str(workdir)]
    run([*common, "collect", assignment_id, str(handed_in)])
    # An empty course cache, as on a fresh instructor's machine: the data comes from $LLMCOURSE_DATA_DIR.
    autograde = run([*common, "autograde", assignment_id, "--jobs", str(GRADING_JOBS), "--device", "cpu",
                     *([] if canary else ["--no-canary"])],
                    timeout=1800, env={"LLMCOURSE_CACHE": str(tmp / "empty-cache")})
    if canary:    # the class that goes through the command line for everything, as an instructor does
        run([*common, "feedback", assignment_id])
        run([*common, "export", "--out", str(tmp / "grades.csv")])
    else:         # the same functions under the command line, without starting two more processes
        course = Course(root=REPO, workdir=workdir)
        api.feedback(course, assignment_id)
        api.export(course, tmp / "grades.csv")
    stats = run([*common, "stats", assignment_id, "--out", str(tmp / "stats.csv")])
    return dict(id=assignment_id, canary=canary, workdir=workdir, mutants=mutants, cells=graded_cells(workdir, assignment_id),
                csv=tmp / "grades.csv", log=autograde.stdout, stats=stats.stdout, stats_csv=tmp / "stats.csv")


def total(cells):
    return sum(score for score, _ in cells.values()), sum(max_score for _, max_score in cells.values())


def test_solution_earns_full_marks(graded):
    score, max_score = total(graded["cells"]["correct"])
    assert max_score > 0
    assert score == max_score, f"correct: {graded['cells']['correct']}\n{graded['log']}"
    assert set(graded["cells"]) == {"correct", "blank", *(f"mutant-{m}" for m in graded["mutants"])}
    if graded["canary"]:
        # The source notebook, handed in whole, earns full marks in the canary's own scratch work
        # folder, which is gone afterwards; the class never sees it.
        assert f"canary: {graded['id']}: the solution earns {max_score:g} / {max_score:g} here" in graded["log"], graded["log"]
        scratch = graded["workdir"] / "scratch"
        assert not scratch.exists() or not any(scratch.iterdir())


def test_blank_release_earns_nothing(graded):
    score, max_score = total(graded["cells"]["blank"])
    assert (score, max_score > 0) == (0, True), graded["cells"]["blank"]


def test_the_wrong_version_loses_points(graded):
    full = total(graded["cells"]["correct"])[1]
    report = []
    for name, mutant in graded["mutants"].items():
        cells = graded["cells"][f"mutant-{name}"]
        score, _ = total(cells)
        kept = [g for g in mutant.loses if cells[g][0] == cells[g][1]]
        if score >= full or kept:
            report.append(f"{name}: scored {score}/{full}; kept full points in {kept}")
    assert not report, "wrong versions that were not caught:\n" + "\n".join(report)


def test_export_has_one_row_per_student(graded):
    with open(graded["csv"]) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student_id", "assignment", "score", "max_score"]
    students = {r["student_id"] for r in rows if r["assignment"] == graded["id"]}
    assert students == set(graded["cells"])
    by_student = {r["student_id"]: r for r in rows if r["assignment"] == graded["id"]}
    assert float(by_student["correct"]["score"]) == float(by_student["correct"]["max_score"])
    assert float(by_student["blank"]["score"]) == 0


def visible_text(html: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def test_feedback_shows_results_but_no_hidden_tests(graded):
    hidden = secret_lines(graded["id"], kinds=("hidden",))
    assert hidden
    name = f"{graded['id']}.ipynb"
    # The autograded notebooks do hold the hidden tests, so the check below can see a leak.
    autograded = (graded["workdir"] / "autograded" / "correct" / graded["id"] / name).read_text()
    assert any(line in autograded for line in hidden)
    for student in graded["cells"]:
        html = (graded["workdir"] / "feedback" / student / graded["id"] / name.replace(".ipynb", ".html")).read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "BEGIN SOLUTION" not in html
        text = visible_text(html)
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"{student}'s feedback quotes hidden tests: {leaked[:3]}"
        assert "Score:" in text


def test_feedback_explains_what_failed(graded):
    name = f"{graded['id']}.html"
    blank = visible_text((graded["workdir"] / "feedback" / "blank" / graded["id"] / name).read_text())
    assert "NotImplementedError" in blank


def test_stats_summarise_each_test_over_the_class(graded):
    cells = graded["cells"]
    with open(graded["stats_csv"]) as f:
        rows = list(csv.DictReader(f))
    released = nbformat.read(REPO / "assignments" / graded["id"] / f"{graded['id']}.ipynb", as_version=4)
    in_order = [c.metadata["nbgrader"]["grade_id"] for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [r["grade_id"] for r in rows] == in_order
    for row in rows:
        scores = [cells[student][row["grade_id"]][0] for student in cells]
        top = cells["correct"][row["grade_id"]][1]
        assert int(row["students"]) == len(cells) and float(row["max_score"]) == top
        assert float(row["mean_score"]) == pytest.approx(sum(scores) / len(scores), abs=1e-4)
        assert float(row["full_marks"]) == pytest.approx(scores.count(top) / len(scores), abs=1e-4)
        assert float(row["zero"]) == pytest.approx(scores.count(0) / len(scores), abs=1e-4)
    totals = sorted(total(c)[0] for c in cells.values())
    assert f"{graded['id']}: {len(cells)} graded;" in graded["stats"]
    assert f"lowest {totals[0]:g}, highest {totals[-1]:g}" in graded["stats"]
    hardest = min(float(r["full_marks"]) for r in rows)
    # No submission of this class hits a limit; a blank one's failed visible checks are not limits.
    assert "limits hit" not in graded["stats"], graded["stats"]
    named = re.search(r"hardest test: (\S+)", graded["stats"]).group(1)
    assert float(next(r for r in rows if r["grade_id"] == named)["full_marks"]) == hardest


def test_the_hand_in_checklist_tells_blank_from_finished(graded):
    def checklist_output(student):
        path = graded["workdir"] / "autograded" / student / graded["id"] / f"{graded['id']}.ipynb"
        cell = next(c for c in nbformat.read(path, as_version=4).cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == "hand-in-checklist")
        return "".join(o.get("text", "") for o in cell.outputs)

    finished, blank = checklist_output("correct"), checklist_output("blank")
    count = int(re.match(r"(\d+) of (\d+) exercises filled in", finished).group(2))
    assert finished.startswith(f"{count} of {count} exercises filled in.") and "still raises" not in finished
    # A blank function still raises; a blank answer constant was never defined (its cell raised).
    assert blank.startswith(f"0 of {count} exercises filled in.")
    assert blank.count("still raises") + blank.count("not defined") == count


def test_the_report_names_failed_read_only_cells(graded):
    with open(graded["workdir"] / "reports" / f"{graded['id']}.csv") as f:
        notes = {row["student_id"]: row["notes"] for row in csv.DictReader(f)}
    assert "read-only cells failed" not in notes["correct"], notes["correct"]
    # A blank notebook fails its visible checks, which are read-only cells given by the release.
    assert "read-only cells failed: check_" in notes["blank"] and "NotImplementedError" in notes["blank"], notes["blank"]


def test_a_perfect_submission_sees_no_warnings(graded):
    """A warning in feedback (a hidden test's own, or a library's) tells a student nothing and worries them."""
    path = graded["workdir"] / "autograded" / "correct" / graded["id"] / f"{graded['id']}.ipynb"
    warned = []
    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") + "".join(str(v) for v in output.get("data", {}).values())
            warned += [f"{cell.metadata.get('nbgrader', {}).get('grade_id', '?')}: {line.strip()[:160]}"
                       for line in text.splitlines() if re.search(r"\b\w*Warning\b", line)]
    assert not warned, "warnings in a perfect submission's feedback:\n" + "\n".join(warned)
