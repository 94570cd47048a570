"""Autograding a class: many submissions in parallel, each in a worker process of its own.

A worker grades one submission with nbgrader into a private copy of the gradebook; the parent
merges that copy into the class gradebook (the only process that writes it) and marks the
submission done with the hash of the notebook it graded. So:

- ``--jobs N`` grades N submissions at once, and a crash of one worker costs only its student;
- ``--shard i/n`` grades a deterministic slice of the class and writes a shard gradebook under
  ``shards/``; ``python -m grader merge`` folds the shards into the class gradebook;
- a run that is killed leaves the class gradebook consistent (each merge is one transaction), and
  the next run grades only what is not done yet; ``--force`` grades everything again.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader import gradebook
from grader.course import Course, GraderError
from grader.execute import LIMIT_ERRORS


@dataclass
class Limits:
    cell_timeout: int | None = None       # seconds; None: the config's
    notebook_timeout: int | None = None
    memory_mb: int | None = None
    device: str | None = None


@dataclass
class Outcome:
    student_id: str
    ok: bool
    message: str = ""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def done_marker(course: Course, assignment_id: str, student_id: str) -> Path:
    return course.autograded_dir / student_id / assignment_id / ".grader-done"


def submitted_notebook(course: Course, assignment_id: str, student_id: str) -> Path:
    return course.submitted_dir / student_id / assignment_id / f"{assignment_id}.ipynb"


def is_done(course: Course, assignment_id: str, student_id: str) -> bool:
    marker = done_marker(course, assignment_id, student_id)
    return marker.exists() and marker.read_text().strip() == digest(submitted_notebook(course, assignment_id, student_id))


def in_shard(student_id: str, shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    index, count = shard
    bucket = int(hashlib.sha256(student_id.encode()).hexdigest(), 16) % count
    return bucket == index - 1


def parse_shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(x) for x in text.split("/"))
    except ValueError:
        raise GraderError(f"--shard wants i/n, like 2/8, not {text!r}") from None
    if not 1 <= index <= count:
        raise GraderError(f"--shard {text}: i must be between 1 and n")
    return index, count


# --- the worker: one submission, one process ---------------------------------------------------

def grade_one(course: Course, assignment_id: str, student_id: str, limits: Limits) -> dict:
    """Run nbgrader's autograde for one student against ``course.gradebook_path``."""
    if limits.device:
        os.environ["LLMCOURSE_DEVICE"] = limits.device
    api = course.api(cell_timeout=limits.cell_timeout, notebook_timeout=limits.notebook_timeout,
                     memory_mb=limits.memory_mb)
    result = api.autograde(assignment_id, student_id, force=True, create=True)
    if result["success"]:
        return {"ok": True}
    lines = (result.get("error") or result.get("log") or "").strip().splitlines()
    return {"ok": False, "message": (lines[-1] if lines else "nbgrader failed without a message")[:300]}


def worker_command(course: Course, assignment_id: str, student_id: str, scratch: Path, limits: Limits) -> list[str]:
    cmd = [sys.executable, "-m", "grader", "--workdir", str(course.workdir), "--release-dir", str(course.release_dir),
           "_grade", assignment_id, student_id, "--gradebook", str(scratch)]
    for flag, value in (("--timeout", limits.cell_timeout), ("--notebook-timeout", limits.notebook_timeout),
                        ("--memory-mb", limits.memory_mb), ("--device", limits.device)):
        if value:
            cmd += [flag, str(value)]
    return cmd


def worker_environment(jobs: int) -> dict:
    """The worker's (and so its kernel's) environment: the cores shared out among the jobs.

    PyTorch and NumPy start one thread per core in every kernel. With N kernels on C cores that is
    N*C busy-waiting threads: on 2 cores, two kernels of 2 threads each ran a GPT training step 25x
    slower than two kernels of one thread each. An instructor's own OMP_NUM_THREADS wins."""
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // max(1, jobs)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


def run_worker(course: Course, assignment_id: str, student_id: str, template: Path, scratch_dir: Path,
               limits: Limits, notebook_timeout: int, jobs: int = 1) -> Outcome:
    scratch = scratch_dir / f"{student_id}.db"
    gradebook.snapshot(template, scratch)
    log = course.workdir / "logs" / assignment_id / f"{student_id}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(log, "w") as err:
            proc = subprocess.run(worker_command(course, assignment_id, student_id, scratch, limits),
                                  stdout=subprocess.PIPE, stderr=err, text=True,
                                  timeout=notebook_timeout + 180, cwd=course.root, env=worker_environment(jobs))
        answer = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except subprocess.TimeoutExpired:
        return Outcome(student_id, False, "grading did not finish in time (the worker was stopped)")
    except json.JSONDecodeError:
        answer = {}
    if not answer.get("ok"):
        why = answer.get("message") or f"the grading worker failed (exit {proc.returncode}); see {log}"
        return Outcome(student_id, False, why)
    return Outcome(student_id, True)


# --- the parent: the class --------------------------------------------------------------------

def autograde(course: Course, assignment_id: str, students: list[str] | None, jobs: int, shard, force: bool,
              limits: Limits, progress: bool = True) -> list[str]:
    from grader.cli import ensure_in_gradebook   # noqa: PLC0415 (cli imports this module)

    everyone = sorted(p.parent.name for p in course.submitted_dir.glob(f"*/{assignment_id}")
                      if (p / f"{assignment_id}.ipynb").exists())
    if not everyone:
        raise GraderError(f"nothing to grade: no submissions of {assignment_id} in {course.submitted_dir} "
                          f"(run python -m grader collect {assignment_id} PATH first)")
    unknown = sorted(set(students or []) - set(everyone))
    if unknown:
        raise GraderError(f"no submission of {assignment_id} from {', '.join(unknown)}")
    chosen = [s for s in (students or everyone) if in_shard(s, shard)]
    todo = [s for s in chosen if force or not is_done(course, assignment_id, s)]
    skipped = len(chosen) - len(todo)

    ensure_in_gradebook(course, course.api(), assignment_id)
    target = course.gradebook_path
    if shard:
        target = course.workdir / "shards" / f"{assignment_id}-{shard[0]}of{shard[1]}.db"
        if not target.exists():
            gradebook.snapshot(course.gradebook_path, target)
    notebook_timeout = limits.notebook_timeout or course.config().GuardedExecute.notebook_timeout

    lines = []
    # Scratch gradebooks hold hidden tests: keep them in the work folder, which kernels cannot see.
    (course.workdir / "scratch").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-scratch-", dir=course.workdir / "scratch") as tmp:
        template = Path(tmp) / "template.db"
        gradebook.snapshot(course.gradebook_path, template)
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(run_worker, course, assignment_id, s, template, Path(tmp), limits, notebook_timeout,
                                   jobs) for s in todo]
            bar = None
            if progress and todo:
                from tqdm import tqdm
                bar = tqdm(total=len(todo), desc=f"autograde {assignment_id}", unit="nb", file=sys.stderr)
            for future in as_completed(futures):
                outcome = future.result()
                if outcome.ok:
                    # The parent is the only writer of the class (or shard) gradebook.
                    gradebook.merge_gradebook(Path(tmp) / f"{outcome.student_id}.db", target, assignment_id)
                    done_marker(course, assignment_id, outcome.student_id).write_text(
                        digest(submitted_notebook(course, assignment_id, outcome.student_id)))
                    lines.append(summary_line(course, assignment_id, outcome.student_id, target))
                else:
                    lines.append(f"{outcome.student_id}: not graded: {outcome.message}")
                if bar:
                    bar.update(1)
            if bar:
                bar.close()
    graded = sum(1 for line in lines if ": not graded:" not in line)
    lines.sort()
    lines.append(f"autograded {graded} of {len(todo)} submission(s) of {assignment_id}"
                 + (f"; {skipped} already graded (use --force to grade again)" if skipped else "")
                 + (f"; shard {shard[0]}/{shard[1]} -> {target}" if shard else ""))
    write_report(course, assignment_id)
    return lines


def limit_events(course: Course, assignment_id: str, student_id: str) -> list[str]:
    """What the limits did to this submission, read from its autograded notebook."""
    path = course.autograded_dir / student_id / assignment_id / f"{assignment_id}.ipynb"
    if not path.exists():
        return []
    events = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in LIMIT_ERRORS:
                where = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index + 1}"
                events.append(f"{where}: {output['ename']}: {str(output.get('evalue', ''))[:120]}")
    return events


def summary_line(course: Course, assignment_id: str, student_id: str, db: Path) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook.url(db), gradebook.COURSE_ID) as gb:
        submission = gb.find_submission(assignment_id, student_id)
        line = f"{student_id}: {submission.score:g} / {submission.max_score:g}"
    events = limit_events(course, assignment_id, student_id)
    return line + (f" ({'; '.join(events)})" if events else "")


def write_report(course: Course, assignment_id: str) -> Path:
    """One row per collected submission: what collect repaired, the score, what the limits did."""
    from nbgrader.api import Gradebook, MissingEntry
    import csv

    path = course.workdir / "reports" / f"{assignment_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with Gradebook(course.db_url, gradebook.COURSE_ID) as gb:
        for folder in sorted(course.submitted_dir.glob(f"*/{assignment_id}")):
            student_id = folder.parent.name
            info = json.loads((folder / "collect.json").read_text()) if (folder / "collect.json").exists() else {}
            try:
                submission = gb.find_submission(assignment_id, student_id)
                score, max_score, status = f"{submission.score:g}", f"{submission.max_score:g}", "graded"
            except MissingEntry:
                score, max_score, status = "", "", "not graded yet"
            notes = info.get("notes", []) + limit_events(course, assignment_id, student_id)
            rows.append([student_id, info.get("handed_in_as", ""), status, score, max_score, " | ".join(notes)])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "handed_in_as", "status", "score", "max_score", "notes"])
        writer.writerows(rows)
    return path
