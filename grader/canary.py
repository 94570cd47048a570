"""The solution, graded first: a fault of the environment stops the run before anyone is mis-graded.

A kernel that cannot import a library, a dataset out of reach, a device whose arithmetic misses a
tolerance: each would score every student low, the solution too. So before a class is graded, the
source notebook is graded as if a student had handed it in, in the same environment (kernel,
limits, device, data), in a scratch work folder of its own; unless it earns full marks, grading
stops and says which tests failed. ``python -m grader check`` is the same canary for every assignment.
"""
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader import gradebook
from grader.autograde import autograde
from grader.course import Course, GraderError
from grader.notebooks import error_line, grade_id

CANARY_STUDENT = "solution"


@dataclass
class SolutionResult:
    assignment_id: str
    score: float = 0.0
    max_score: float = 0.0
    failed: list[str] = field(default_factory=list)   # "grade_id (its first error)", in notebook order

    @property
    def full_marks(self) -> bool:
        return self.max_score > 0 and self.score == self.max_score

    def summary(self) -> str:
        verdict = f"{self.assignment_id}: the solution earns {self.score:g} / {self.max_score:g}"
        return verdict + ("" if self.full_marks else "; failed: " + "; ".join(self.failed or ["(no test ran)"]))


def first_error(cell) -> str:
    """The first error a cell shows, as one short line."""
    errors = [output for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    return error_line(errors[0]) if errors else "lost points without an error"


def grade_solution(course: Course, assignment_id: str, limits, scratch_parent: Path | None = None) -> SolutionResult:
    """Grade the source notebook of ``assignment_id`` through the real grader, in a scratch work
    folder (under ``scratch_parent``, or the system's temporary folder), and say how it did."""
    from nbgrader.api import Gradebook, MissingEntry

    result = SolutionResult(assignment_id)
    if scratch_parent:
        scratch_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-canary-", dir=scratch_parent) as tmp:
        scratch = Course(root=course.root, workdir=Path(tmp) / "work", release_dir=course.release_dir,
                         extra_config=course.extra_config)
        folder = scratch.submitted_dir / CANARY_STUDENT / assignment_id
        folder.mkdir(parents=True)
        shutil.copyfile(course.source_notebook(assignment_id), folder / f"{assignment_id}.ipynb")
        lines = autograde(scratch, assignment_id, None, jobs=1, shard=None, force=True, limits=limits,
                          progress=False)
        not_graded = [line for line in lines if ": not graded:" in line]
        if not_graded:
            result.failed.append(not_graded[0].split(": not graded: ", 1)[1])
            return result
        graded = nbformat.read(scratch.autograded_notebook(CANARY_STUDENT, assignment_id), as_version=4)
        cells = {grade_id(c): c for c in graded.cells}
        with Gradebook(scratch.db_url, gradebook.COURSE_ID) as gb:
            try:
                grades = gb.find_submission_notebook(assignment_id, assignment_id, CANARY_STUDENT).grades
            except MissingEntry:
                result.failed.append("the grader recorded no grades")
                return result
            order = list(cells)
            for grade in sorted(grades, key=lambda g: order.index(g.name) if g.name in order else len(order)):
                result.score += grade.score or 0
                result.max_score += grade.max_score
                if (grade.score or 0) < grade.max_score:
                    result.failed.append(f"{grade.name} ({first_error(cells.get(grade.name, {}))})")
    return result


def require_full_marks(course: Course, assignment_id: str, limits) -> list[str]:
    """The canary before a class: the report's line if the solution earns full marks here, else
    GraderError (nothing is graded)."""
    solution = grade_solution(course, assignment_id, limits, scratch_parent=course.workdir / "scratch")
    if not solution.full_marks:
        raise GraderError(f"canary: {solution.summary()}.\nThis environment would mis-grade the class, so nobody "
                          f"was graded. Fix what the failures name (data, packages, device, limits), or pass "
                          f"--no-canary to grade anyway.")
    return [f"canary: {solution.summary()} here; grading the class"]
