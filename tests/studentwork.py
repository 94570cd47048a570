"""Making the notebooks a class would hand in: the release with its blanks filled from the source.

A *mutant* is a plausible wrong answer: a list of (old, new) text edits to the source's solution
cells. Each ``old`` must occur exactly once, so a mutant cannot silently stop applying when the
source changes.
"""
import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.course import COURSE_ID, sqlite_url
from grader.notebooks import REGIONS

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutant:
    edits: list[tuple[str, str]]
    loses: list[str] = field(default_factory=list)   # grade_ids that must lose points
    why: str = ""


def _solution_cells(nb):
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def mutated_source(assignment_id: str, mutant: Mutant | None = None):
    nb = nbformat.read(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    if mutant is None:
        return nb
    cells = _solution_cells(nb)
    for old, new in mutant.edits:
        hits = [c for c in cells.values() if old in c.source]
        count = sum(c.source.count(old) for c in hits)
        assert count == 1, f"mutant edit {old!r} matches {count} places in the solution cells"
        hits[0].source = hits[0].source.replace(old, new)
    return nb


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() not in REGIONS["solution"])


def student_submission(assignment_id: str, mutant: Mutant | None = None, filled: bool = True):
    """The released notebook as a student hands it in: blanks filled with the (mutated) solution."""
    released = nbformat.read(REPO / "assignments" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    if not filled:
        return copy.deepcopy(released)
    answers = _solution_cells(mutated_source(assignment_id, mutant))
    for cell in released.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = _strip_markers(answers[grade_id].source)
    return released


def write_class(folder: Path, assignment_id: str, mutants: dict[str, Mutant]) -> dict[str, str]:
    """Write one notebook per student: 'correct', 'blank', and one per mutant. Returns student -> kind."""
    folder.mkdir(parents=True, exist_ok=True)
    roster = {"correct": None, "blank": None, **{f"mutant-{name}": m for name, m in mutants.items()}}
    for student, mutant in roster.items():
        nb = student_submission(assignment_id, mutant, filled=(student != "blank"))
        nbformat.write(nb, folder / f"{student}.ipynb")
    return {student: student for student in roster}


def graded_cells(workdir: Path, assignment_id: str) -> dict[str, dict[str, tuple[float, float]]]:
    """student -> grade_id -> (score, max_score), read from the gradebook the grader wrote."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(sqlite_url(workdir / "gradebook.db"), COURSE_ID) as gb:
        for student in gb.students:
            notebook = gb.find_submission_notebook(assignment_id, assignment_id, student.id)
            scores[student.id] = {g.name: (g.score, g.max_score) for g in notebook.grades}
    return scores


def secret_lines(assignment_id: str, kinds=("solution", "hidden"), min_length: int = 20) -> set[str]:
    """Lines that occur only inside the source's solution or hidden-test regions: if one of them
    shows up somewhere a student can read, a secret has leaked (the grader's own definition)."""
    from grader.leaks import secret_lines as lines_of

    return lines_of(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", kinds, min_length)
