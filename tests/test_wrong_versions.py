"""Every wrong version of every assignment loses points in the tests it names, and the solution
passes them all: graded in this process (tests/inprocess.py), without a kernel per student, so the
whole catalogue, EXTRA_MUTANTS included, runs in about a minute (each wrong version by the tests
it names, which each pass alone on the solution). tests/test_grading.py grades the
solution, the blank release and one wrong version per assignment through the real grader."""
import importlib

import pytest

from tests.conftest import ASSIGNMENTS
from tests.inprocess import InProcessNotebook


def catalogue(assignment_id):
    module = importlib.import_module(f"tests.mutants.{assignment_id}")
    return {**module.MUTANTS, **getattr(module, "EXTRA_MUTANTS", {})}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def notebook(request):
    return InProcessNotebook(request.param)


def test_every_assignment_has_a_catalogue_of_wrong_versions():
    for assignment_id in ASSIGNMENTS:
        assert len(importlib.import_module(f"tests.mutants.{assignment_id}").MUTANTS) >= 5, assignment_id


def test_the_solution_passes_every_test(notebook):
    outcome = notebook.grade()
    assert notebook.tests and not outcome.failed, outcome.failed


def test_each_test_passes_alone_on_the_solution(notebook):
    """So a wrong version can be graded by the tests it names alone: none of them needs an earlier
    test cell to have run (each builds what it checks from the answer cells)."""
    alone = {test: notebook.grade(only=[test]).failed for test in notebook.tests}
    assert not any(alone.values()), {test: failed for test, failed in alone.items() if failed}


def test_every_wrong_version_loses_points_where_it_says(notebook):
    report = []
    for name, mutant in catalogue(notebook.assignment_id).items():
        assert mutant.loses, f"{name} names no test it must fail"
        unknown = sorted(set(mutant.loses) - set(notebook.tests))
        assert not unknown, f"{name} names tests the notebook does not have: {unknown}"
        # Only the tests it names: whether it also fails others is not asked (and costs time).
        outcome = notebook.grade(mutant, only=mutant.loses)
        kept = [test for test in mutant.loses if outcome.passed(test)]
        if kept:
            report.append(f"{name}: passed {kept}; failed {sorted(outcome.failed)}")
    assert not report, f"{notebook.assignment_id}: wrong versions that were not caught:\n" + "\n".join(report)
    # Grading a wrong version leaves the notebook as it was: the solution still passes everything.
    assert not notebook.grade().failed


def test_the_in_process_grader_sees_a_wrong_version():
    """The tier's own check: a wrong answer that breaks every call must fail the tests that call it."""
    from tests.studentwork import Mutant, mutated_source
    from grader.notebooks import grade_id, is_answer

    notebook = InProcessNotebook("attention")
    first_answer = next(c for c in mutated_source("attention").cells if is_answer(c))
    line = next(l for l in first_answer.source.splitlines() if l.strip().startswith("return "))
    broken = Mutant([(line, line.split("return")[0] + "raise ValueError('broken')")])
    assert notebook.grade(broken).failed, f"breaking {grade_id(first_answer)} failed no test"
