"""Print the spine's budgets: how long a solution notebook takes to execute, and how long one
submission takes to collect, autograde and export through `python -m grader`.

    python benchmarks/grading_budget.py [ASSIGNMENT ...]
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.studentwork import student_submission  # noqa: E402


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def execute_solution(assignment_id: str) -> float:
    nb = nbformat.read(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "solutions" / assignment_id)}})
    return timed(client.execute)


def grade_one(assignment_id: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in").mkdir()
        nbformat.write(student_submission(assignment_id), tmp / "in" / "student1.ipynb")
        grader = [sys.executable, "-m", "grader", "--workdir", str(tmp / "work")]
        steps = {
            "collect": [*grader, "collect", assignment_id, str(tmp / "in")],
            # The budget is one submission's grading; the canary (the solution graded first) is a
            # fixed cost per class, the same again, measured by benchmarks/class_grading.py.
            "autograde": [*grader, "autograde", assignment_id, "--no-canary"],
            "export": [*grader, "export", "--out", str(tmp / "grades.csv")],
        }
        return {name: timed(lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True, cwd=REPO))
                for name, cmd in steps.items()}


def main():
    ids = sys.argv[1:] or sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir())
    for assignment_id in ids:
        execute = execute_solution(assignment_id)
        steps = grade_one(assignment_id)
        print(f"{assignment_id}: solution notebook executes in {execute:.1f} s")
        print(f"{assignment_id}: one submission: " + ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
              + f"; total {sum(steps.values()):.1f} s")


if __name__ == "__main__":
    main()
