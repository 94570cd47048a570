"""The grader's pure functions, tested directly (no kernel, no subprocess): rebuilding a handed-in
notebook on the release, finding secret lines, and merging gradebooks."""
import copy
import datetime as dt

import nbformat
import pytest
from nbgrader.api import Gradebook

from grader import gradebook
from grader.collect import likeness, rebuild_on_release
from grader.course import COURSE_ID, sqlite_url
from grader.leaks import find_leaks, secret_lines, secret_lines_of_notebooks
from grader.notebooks import grade_id, is_answer


def cell(kind, source, **nbgrader):
    new = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        new.metadata["nbgrader"] = {"schema_version": 3, **nbgrader}
    return new


def tiny_release():
    return nbformat.v4.new_notebook(cells=[
        cell("markdown", "# Exercise", grade_id="intro", locked=True, solution=False, grade=False),
        cell("code", "import math", grade_id="setup", locked=True, solution=False, grade=False),
        cell("code", "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", grade_id="f",
             locked=False, solution=True, grade=False),
        cell("code", "assert f(2) == 4", grade_id="test_f", locked=True, solution=False, grade=True, points=1),
        cell("code", "def g(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()", grade_id="g",
             locked=False, solution=True, grade=False),
        cell("code", "assert g(1) == 1", grade_id="test_g", locked=True, solution=False, grade=True, points=1),
    ])


def answers(nb):
    return {grade_id(c): c.source for c in nb.cells if is_answer(c)}


def test_rebuild_keeps_answers_and_restores_what_a_student_must_not_change():
    release = tiny_release()
    student = copy.deepcopy(release)
    student.cells[2].source = "def f(x):\n    return x * 2"
    student.cells[3].source = "pass  # the test, emptied"
    del student.cells[5]                                   # a test deleted
    student.cells.insert(3, nbformat.v4.new_code_cell("print(f(3))"))    # a cell of their own
    notes = []
    rebuilt = rebuild_on_release(student, release, notes)
    assert answers(rebuilt)["f"] == "def f(x):\n    return x * 2"
    sources = [c.source for c in rebuilt.cells]
    assert "assert f(2) == 4" in sources and "assert g(1) == 1" in sources and "pass  # the test, emptied" not in sources
    assert sources.index("print(f(3))") == sources.index("def f(x):\n    return x * 2") + 1
    assert any("restored test cell(s)" in n and "test_f" in n and "test_g" in n for n in notes)


def test_rebuild_finds_answers_whose_metadata_colab_dropped():
    release = tiny_release()
    student = copy.deepcopy(release)
    for c in student.cells:
        c.metadata = {}
    student.cells[2].source = "def f(x):\n    return x + x"
    student.cells[4].source = "def g(x):\n    return x"
    notes = []
    rebuilt = rebuild_on_release(student, release, notes)
    assert answers(rebuilt) == {"f": "def f(x):\n    return x + x", "g": "def g(x):\n    return x"}
    assert any("re-attached nbgrader metadata to 2 answer cell(s)" in n for n in notes)
    assert [c.metadata["nbgrader"]["grade_id"] for c in rebuilt.cells] == [c.metadata["nbgrader"]["grade_id"] for c in release.cells]


def test_rebuild_says_which_answers_it_could_not_find():
    release = tiny_release()
    student = copy.deepcopy(release)
    del student.cells[4]
    notes = []
    rebuilt = rebuild_on_release(student, release, notes)
    assert "raise NotImplementedError()" in answers(rebuilt)["g"]
    assert any("no answer found for g" in n for n in notes)


def test_likeness_is_the_share_of_read_only_cells_present():
    release = tiny_release()
    assert likeness(release, release) == 1.0
    other = nbformat.v4.new_notebook(cells=[cell("code", "import math")])
    assert likeness(other, release) == pytest.approx(1 / 4)


def test_secret_lines_are_the_solution_and_hidden_lines_found_nowhere_else(tmp_path):
    source = nbformat.v4.new_notebook(cells=[
        cell("code", "def f(x):\n    ### BEGIN SOLUTION\n    doubled_value_of_x = x * 2\n    return doubled_value_of_x\n"
                     "    ### END SOLUTION", grade_id="f", solution=True, grade=False, locked=False),
        cell("code", "assert f(2) == 4\n### BEGIN HIDDEN TESTS\nassert f(-3) == -6, 'negative numbers too'\n"
                     "### END HIDDEN TESTS", grade_id="test_f", grade=True, solution=False, locked=True, points=1),
        cell("markdown", "Hint: return doubled_value_of_x", grade_id="intro", locked=True),
    ])
    path = tmp_path / "f.ipynb"
    nbformat.write(source, path)
    lines = secret_lines(path)
    # "return doubled_value_of_x" is in the public text too; the short "assert f(2) == 4" is visible.
    assert lines == {"doubled_value_of_x = x * 2", "assert f(-3) == -6, 'negative numbers too'"}
    assert secret_lines(path, kinds=("solution",)) == {"doubled_value_of_x = x * 2"}
    hidden = "<pre>assert f(-3) == -6, &#x27;negative numbers too&#x27;</pre>"
    assert find_leaks(hidden, lines) == ["assert f(-3) == -6, 'negative numbers too'"]
    assert find_leaks("### BEGIN HIDDEN TESTS", set()) == ["BEGIN HIDDEN TESTS"]
    assert find_leaks("nothing here", lines) == []
    # Course-wide, a line that another assignment shows every student is no secret.
    other = nbformat.v4.new_notebook(cells=[
        cell("markdown", "Try: doubled_value_of_x = x * 2", grade_id="intro", locked=True)])
    nbformat.write(other, tmp_path / "g.ipynb")
    assert secret_lines_of_notebooks([path, tmp_path / "g.ipynb"]) == {"assert f(-3) == -6, 'negative numbers too'"}


def graded_gradebook(path, scores: dict[str, float], when=dt.datetime(2026, 6, 1)):
    """A gradebook knowing assignment 'a' (one notebook, one test of 2 points) and these students' scores."""
    with Gradebook(sqlite_url(path), COURSE_ID) as gb:
        gb.update_or_create_assignment("a")
        gb.db.commit()
        assignment = gb.find_assignment("a")
        if not assignment.notebooks:
            notebook = gb.add_notebook("a", "a")
            gb.add_grade_cell("test", "a", "a", max_score=2, cell_type="code")
            gb.add_solution_cell("answer", "a", "a")
            gb.add_source_cell("test", "a", "a", cell_type="code", locked=True, source="assert True", checksum="0")
        for student, score in scores.items():
            gb.update_or_create_student(student)
            gb.update_or_create_submission("a", student, timestamp=when)
            grade = gb.find_grade("test", "a", "a", student)
            grade.auto_score = score
            gb.db.commit()


def scores(path):
    with Gradebook(sqlite_url(path), COURSE_ID) as gb:
        return {s.student.id: s.score for s in gb.find_assignment("a").submissions}


def test_merging_a_gradebook_copies_scores_and_twice_changes_nothing(tmp_path):
    graded_gradebook(tmp_path / "class.db", {"alice": 1})
    gradebook.snapshot(tmp_path / "class.db", tmp_path / "shard.db", keep_submissions=False)
    graded_gradebook(tmp_path / "shard.db", {"bob": 2, "carol": 0})
    assert sorted(gradebook.merge_gradebook(tmp_path / "shard.db", tmp_path / "class.db")) == [("a", "bob"), ("a", "carol")]
    assert scores(tmp_path / "class.db") == {"alice": 1, "bob": 2, "carol": 0}
    gradebook.merge_gradebook(tmp_path / "shard.db", tmp_path / "class.db")
    assert scores(tmp_path / "class.db") == {"alice": 1, "bob": 2, "carol": 0}


def test_merging_one_student_leaves_the_others_stale_copies_out(tmp_path):
    graded_gradebook(tmp_path / "class.db", {"alice": 1, "bob": 1})
    gradebook.snapshot(tmp_path / "class.db", tmp_path / "worker.db")    # a worker's copy: alice and bob at 1
    graded_gradebook(tmp_path / "class.db", {"alice": 2})                # meanwhile alice was regraded
    graded_gradebook(tmp_path / "worker.db", {"bob": 2})                 # the worker grades bob
    with Gradebook(sqlite_url(tmp_path / "class.db"), COURSE_ID) as target:
        assert gradebook.merge_into(target, tmp_path / "worker.db", "a", "bob") == [("a", "bob")]
    assert scores(tmp_path / "class.db") == {"alice": 2, "bob": 2}
