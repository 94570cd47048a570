"""Print the patching assignment's budgets: the notebook end to end (limit 60 s) and its graded cells,
where the hidden tests run (limit 15 s), normally and under NBGRADER_EXECUTION; the attention
notebook, timed in the same run, is the baseline that tells how loaded the machine is.

    python benchmarks/patching_budget.py
"""
import os
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]


def execute(assignment_id: str, grading: bool) -> tuple[float, float]:
    """(seconds for the whole notebook, seconds spent in its graded cells), kernel start included."""
    folder = REPO / "solutions" / assignment_id
    nb = nbformat.read(folder / f"{assignment_id}.ipynb", as_version=4)
    env = {name: value for name, value in os.environ.items() if name != "NBGRADER_EXECUTION"}
    if grading:
        env["NBGRADER_EXECUTION"] = "autograde"   # what nbgrader sets while it autogrades
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    graded = 0.0
    start = time.perf_counter()
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            if cell.metadata.get("nbgrader", {}).get("grade"):
                graded += time.perf_counter() - cell_start
    return time.perf_counter() - start, graded


def main():
    for assignment_id in ("attention", "patching"):
        for grading in (False, True):
            total, graded = execute(assignment_id, grading)
            mode = "under NBGRADER_EXECUTION" if grading else "normally"
            print(f"{assignment_id} {mode}: notebook {total:.1f} s, graded cells (hidden tests) {graded:.1f} s", flush=True)


if __name__ == "__main__":
    main()
