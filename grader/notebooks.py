"""What the course's notebooks are made of, in nbgrader's own terms: the markers of solution and
hidden-test regions (nbgrader's defaults, read from its preprocessors) and the kinds of cell
(nbgrader.utils' predicates). Everything in the grader that looks inside a notebook asks here."""
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from nbgrader.utils import is_grade, is_locked, is_solution

BEGIN_SOLUTION = "### " + ClearSolutions.begin_solution_delimeter.default_value     # "### BEGIN SOLUTION"
END_SOLUTION = "### " + ClearSolutions.end_solution_delimeter.default_value
BEGIN_HIDDEN_TESTS = "### " + ClearHiddenTests.begin_test_delimeter.default_value   # "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### " + ClearHiddenTests.end_test_delimeter.default_value
REGIONS = {"solution": (BEGIN_SOLUTION, END_SOLUTION), "hidden": (BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)}
# The markers without their "### ": none of them may ever appear where a student can read.
MARKERS = tuple(marker[4:] for pair in REGIONS.values() for marker in pair)


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def is_test(cell) -> bool:
    """A graded test cell (read-only, with points), as opposed to a graded answer cell."""
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_answer(cell) -> bool:
    """A cell the student fills in."""
    return is_solution(cell)


def is_read_only(cell) -> bool:
    """A locked cell that is neither a test nor an answer: the setup, given code, a visible check."""
    return cell.cell_type == "code" and is_locked(cell) and not is_grade(cell) and not is_solution(cell)


def error_line(output, width: int = 160) -> str:
    """An error output as one short line: its name and the first line of its message."""
    evalue = (str(output.get("evalue") or "").strip().splitlines() or [""])[0]
    return f"{output.get('ename')}: {evalue[:width]}"
