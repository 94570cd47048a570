"""The hand-in checklist names exactly the exercises that are missing or still blank."""
import re

import nbformat
import pytest
import torch.nn as nn

from llmcourse.handin import hand_in_checklist, still_blank
from tests.conftest import ASSIGNMENTS, REPO



def blank(x):
    raise NotImplementedError()


def done(x):
    return x + 1


class BlankForward(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        raise NotImplementedError()


class DoneModule(nn.Module):
    def forward(self, x):
        return x

    @staticmethod
    def helper(x):
        return x

    @property
    def size(self):
        return 1


class BlankStatic:
    @staticmethod
    def build():
        raise NotImplementedError()


def test_blank_functions_and_classes_are_found():
    assert still_blank(blank) and still_blank(BlankForward) and still_blank(BlankStatic)
    assert not still_blank(done) and not still_blank(DoneModule)


def test_the_checklist_reports_missing_and_blank_names(capsys):
    namespace = {"blank": blank, "done": done, "BlankForward": BlankForward, "DoneModule": DoneModule}
    todo = hand_in_checklist(namespace, ["done", "blank", "renamed", "BlankForward", "DoneModule"])
    assert todo == ["renamed", "blank", "BlankForward"]
    out = capsys.readouterr().out
    assert out.startswith("2 of 5 exercises filled in.")
    assert "renamed: not defined" in out and "blank: still raises NotImplementedError" in out
    assert "Download .ipynb" in out


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_each_assignment_ends_with_a_checklist_of_all_its_exercises(assignment_id):
    """The names listed are the top-level functions and classes of the notebook's answer cells."""
    nb = nbformat.read(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    answers = [c.source for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    # Functions and classes, and answers that are top-level constants (PREVIOUS_TOKEN_HEAD = ...).
    defined = [function or constant for source in answers
               for function, constant in re.findall(r"^(?:def|class) (\w+)|^([A-Z][A-Z0-9_]*) =", source, re.M)]
    last = nb.cells[-1]
    assert last.metadata["nbgrader"]["grade_id"] == "hand-in-checklist" and last.metadata["nbgrader"]["locked"]
    listed = re.findall(r'"(\w+)"', last.source.split("hand_in_checklist(globals(),", 1)[1])
    assert listed == defined
