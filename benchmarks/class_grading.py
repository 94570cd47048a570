"""Grade a synthetic class of 48 through plain sequential `nbgrader autograde` and through
`python -m grader autograde --jobs N`, and print the three figures of the grading issue:

- the speedup of ours over plain sequential nbgrader (goal: 1.8x or more on 2 cores);
- our per-submission overhead above the notebook's own execution time (goal: 1 s or less);
- the time for the whole class.

    python benchmarks/class_grading.py [--students 48] [--jobs 2]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from tests.mutants.attention import MUTANTS  # noqa: E402
from tests.studentwork import student_submission  # noqa: E402

ASSIGNMENT = "attention"


def synthetic_class(n: int) -> dict[str, nbformat.NotebookNode]:
    """A third correct, a third partly wrong (the mutants in turn), a third failing (left blank)."""
    mutants = list(MUTANTS.values())
    students = {}
    for i in range(n):
        kind = i % 3
        if kind == 0:
            nb = student_submission(ASSIGNMENT)
        elif kind == 1:
            nb = student_submission(ASSIGNMENT, mutants[(i // 3) % len(mutants)])
        else:
            nb = student_submission(ASSIGNMENT, filled=False)
        students[f"student{i:03d}"] = nb
    return students


def timed(cmd, **kw) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)
    return time.perf_counter() - start


def plain_nbgrader(students, tmp: Path) -> float:
    course = tmp / "plain"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copyfile(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                    course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "nbgrader_config.py").write_text(textwrap.dedent("""
        c = get_config()
        c.CourseDirectory.course_id = "bench"
        c.Execute.timeout = 120
    """))
    nbgrader = [sys.executable, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], cwd=course, check=True, capture_output=True)
    for student, nb in students.items():
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    return timed([*nbgrader, "autograde", ASSIGNMENT, "--force"], cwd=course)


def ours(students, tmp: Path, name: str, jobs: int) -> float:
    handed_in = tmp / f"{name}-in"
    handed_in.mkdir()
    for student, nb in students.items():
        nbformat.write(nb, handed_in / f"{student}.ipynb")
    grader = [sys.executable, "-m", "grader", "--workdir", str(tmp / f"{name}-work")]
    subprocess.run([*grader, "collect", ASSIGNMENT, str(handed_in)], check=True, capture_output=True, cwd=REPO)
    return timed([*grader, "autograde", ASSIGNMENT, "--jobs", str(jobs)], cwd=REPO)


def execution_only(workdir: Path, students) -> float:
    """Mean seconds to execute each graded notebook by itself with nbclient, no grader around it.

    The notebooks are the autograded ones: the student's cells with the hidden tests put back, which
    is what grading executes (the hidden tests add about a second to the attention notebook). The
    kernel is stopped at once at the end, as the grader does: nbclient's graceful shutdown sometimes
    waits 4 s for the kernel to leave, which would flatter the overhead."""
    total = 0.0
    for student in students:
        nb = nbformat.read(workdir / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True, shutdown_kernel="immediate")
        start = time.perf_counter()
        client.execute()
        total += time.perf_counter() - start
    return total / len(students)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=48)
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--sample", type=int, help="notebooks graded one at a time to measure the overhead "
                                                   "(default: the whole class, so fixed costs are shared as in it)")
    args = parser.parse_args()
    students = synthetic_class(args.students)
    sample = dict(list(students.items())[: args.sample or args.students])
    with tempfile.TemporaryDirectory(prefix="bench-class-") as tmp:
        tmp = Path(tmp)
        plain = plain_nbgrader(students, tmp)
        parallel = ours(students, tmp, "parallel", args.jobs)
        sequential_sample = ours(sample, tmp, "sample", 1)
        execute = execution_only(tmp / "sample-work", sample)
    overhead = sequential_sample / len(sample) - execute
    print(f"class of {args.students} ({args.jobs} jobs, {os.cpu_count()} cores)")
    print(f"plain sequential nbgrader autograde: {plain:.1f} s")
    print(f"python -m grader autograde --jobs {args.jobs}: {parallel:.1f} s  (speedup {plain / parallel:.2f}x)")
    print(f"per-submission overhead above execution: {overhead:.2f} s "
          f"({sequential_sample / len(sample):.2f} s graded vs {execute:.2f} s executed alone, {len(sample)} notebooks)")
    print(f"whole class: {parallel:.1f} s")


if __name__ == "__main__":
    main()
