"""Grading without a kernel: a source notebook's cells run in this process, then its test cells run
against the solution and against each wrong version, and we read which tests fail.

The real grader (tests/test_grading.py) runs a fresh kernel per student, under the guard and the
limits, which costs seconds per student. The hidden tests themselves are plain Python that calls
the student's functions, so whether a wrong version loses points in a test can be asked far more
cheaply: run the notebook once, as the autograder would (``NBGRADER_EXECUTION`` set, so training
cells shorten themselves), keep its namespace, and for each wrong version re-run only the answer
cells it changes, in a copy of that namespace, before running every test cell.

The wrong version's cells run in the notebook's own namespace (functions defined earlier look their
globals up there, so a given ``train`` calls the wrong ``get_batch``), which is put back as it was
afterwards. Objects an earlier cell built from the right answer (a trained model) stay as they
were; the course's hidden tests build what they test themselves.
"""
import contextlib
import io
import os
import warnings
from dataclasses import dataclass, field

import nbformat

from grader.notebooks import grade_id, is_answer, is_test
from tests.conftest import REPO
from tests.studentwork import Mutant, mutated_source


@dataclass
class Outcome:
    failed: dict[str, str] = field(default_factory=dict)   # test grade_id -> the error's first line

    def passed(self, test_id: str) -> bool:
        return test_id not in self.failed


def _run(source: str, name: str, namespace: dict) -> str | None:
    """Run one cell; None if it ran to its end, else its error as one line. Output is swallowed."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(source, f"<{name}>", "exec"), namespace)
    except BaseException as err:   # noqa: BLE001 (a test cell may raise anything, SystemExit included)
        if isinstance(err, KeyboardInterrupt):
            raise
        return f"{type(err).__name__}: {str(err).strip().splitlines()[0][:200] if str(err).strip() else ''}"
    return None


class InProcessNotebook:
    """One assignment's source notebook, run once; then graded against any wrong version."""

    def __init__(self, assignment_id: str):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.assignment_id = assignment_id
        self.cells = [c for c in mutated_source(assignment_id).cells if c.cell_type == "code"]
        self.tests = [grade_id(c) for c in self.cells if is_test(c)]
        from IPython.display import display

        # What a kernel's namespace starts with, that the notebooks use.
        self.namespace = {"__name__": "__main__", "display": display}
        with as_the_autograder():
            cwd = os.getcwd()
            os.chdir(REPO / "solutions" / assignment_id)   # where a notebook's kernel starts
            try:
                for index, cell in enumerate(self.cells):
                    error = _run(cell.source, grade_id(cell) or f"cell {index}", self.namespace)
                    if error and not is_test(cell):
                        raise RuntimeError(f"{assignment_id}: the source's cell {grade_id(cell) or index} failed: {error}")
                    plt.close("all")
            finally:
                os.chdir(cwd)

    def grade(self, mutant: Mutant | None = None, only: list[str] | None = None) -> Outcome:
        """Every test cell (or those named in ``only``, in the notebook's order), run after the answer
        cells that ``mutant`` changes (none: the solution)."""
        namespace = self.namespace
        saved = dict(namespace)
        try:
            return self._grade(namespace, mutant, only)
        finally:
            namespace.clear()
            namespace.update(saved)

    def _grade(self, namespace: dict, mutant: Mutant | None, only: list[str] | None) -> Outcome:
        import matplotlib.pyplot as plt

        outcome = Outcome()
        if mutant is not None:
            changed = [c for c in mutated_source(self.assignment_id, mutant).cells
                       if c.cell_type == "code" and is_answer(c)]
            original = {grade_id(c): c.source for c in self.cells if is_answer(c)}
            for cell in changed:
                if cell.source != original[grade_id(cell)]:
                    error = _run(cell.source, grade_id(cell), namespace)
                    if error:    # an answer cell that raises: every test after it sees what is left
                        outcome.failed[grade_id(cell)] = error
        with as_the_autograder():
            for cell in self.cells:
                if is_test(cell) and (only is None or grade_id(cell) in only):
                    error = _run(cell.source, grade_id(cell), namespace)
                    if error:
                        outcome.failed[grade_id(cell)] = error
                    plt.close("all")
        return outcome


@contextlib.contextmanager
def as_the_autograder():
    """NBGRADER_EXECUTION set, as the autograder sets it (training cells shorten themselves), and put
    back as it was afterwards."""
    previous = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = previous


def graded_with_answers(source, answers: dict[str, str], given: set[str], only=None) -> dict[str, str]:
    """Another way to grade in-process, for tests of other correct implementations: run the source
    notebook's answer cells (``answers[grade_id]`` in place of the source's where given), the cells
    named in ``given`` (setup, given code, visible checks) and every graded cell (or those named in
    ``only``), in notebook order, in a fresh namespace, as the autograder runs them. Returns
    grade_id -> 'ok' or the error."""
    solutions = {grade_id(c) for c in source.cells if is_answer(c)}
    assert set(answers) <= solutions, f"no solution cell named {sorted(set(answers) - solutions)}"
    namespace, results = {"__name__": "__main__"}, {}
    with as_the_autograder():
        for cell in source.cells:
            name = grade_id(cell)
            if cell.cell_type != "code" or not cell.metadata.get("nbgrader"):
                continue
            if is_answer(cell):
                exec(compile(answers.get(name, cell.source), f"<{name}>", "exec"), namespace)
            elif is_test(cell):
                if only is not None and name not in only:
                    continue
                try:
                    exec(compile(cell.source, f"<{name}>", "exec"), namespace)
                    results[name] = "ok"
                except Exception as err:  # noqa: BLE001 (any failure is a lost point)
                    results[name] = f"{type(err).__name__}: {err}"
            elif name in given:
                exec(compile(cell.source, f"<{name}>", "exec"), namespace)
    return results


def failed_tests(source, answers: dict[str, str], given: set[str], only=None) -> dict[str, str]:
    """The graded cells that fail, grade_id -> error, with ``answers`` in place of the source's
    (:func:`graded_with_answers`); every graded cell must have run."""
    results = graded_with_answers(source, answers, given, only)
    tests = [grade_id(c) for c in source.cells if c.cell_type == "code" and is_test(c)]
    assert set(results) == {t for t in tests if only is None or t in only}, f"graded cells that did not run: {results}"
    return {name: outcome for name, outcome in results.items() if outcome != "ok"}


def warnings_or_failures_of_the_reference(source, given: set[str]) -> dict[str, str]:
    """The source's own answers graded with every warning raised as an error (a warning from a hidden
    test would reach the student's feedback, quoting the hidden line): the graded cells that fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return failed_tests(source, {}, given)
