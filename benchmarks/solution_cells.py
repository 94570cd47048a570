"""Run a solution notebook's definition cells outside Jupyter, so that benchmarks (and tests) measure
exactly the code students are graded against, not a copy of it."""
import os
import re
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$", re.M)


def solution_namespace(assignment_id: str, grade_ids: list[str]) -> dict:
    """Execute the cells `grade_ids` of solutions/<id>/<id>.ipynb, in that order; return their namespace."""
    os.environ.setdefault("LLMCOURSE_DATA_DIR", str(REPO.parent / "shared" / "data"))
    notebook = nbformat.read(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in notebook.cells if c.cell_type == "code"}
    namespace = {"__name__": f"{assignment_id}_notebook"}
    for grade_id in grade_ids:
        source = SOLUTION_MARKERS.sub("", cells[grade_id])
        exec(compile(source, f"{assignment_id}.ipynb:{grade_id}", "exec"), namespace)
    return namespace
