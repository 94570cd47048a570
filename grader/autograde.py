"""Autograding a class: many submissions in parallel, each in a kernel of its own.

``--jobs N`` starts N long-lived worker processes (``python -m grader _serve``). A worker grades
one submission at a time with nbgrader, into a private copy of the gradebook, running the
notebook in a fresh kernel under the limits of grader/execute.py; the parent merges that copy
into the class gradebook (the only process that writes it) and marks the submission done with
the hash of the notebook it graded. So:

- a kernel that dies costs only its own cells; a worker that dies or overruns costs only the
  submission it was grading, and a fresh worker takes the next one;
- ``--shard i/n`` grades a deterministic slice of the class and writes a shard gradebook under
  ``shards/``; ``python -m grader merge`` folds the shards into the class gradebook;
- a run that is killed leaves the class gradebook consistent (each merge is one transaction), and
  the next run grades only what is not done yet; ``--force`` grades everything again.
"""
import hashlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader import gradebook
from grader.course import Course, GraderError, nbgrader_failure
from grader.cpus import usable_cpus
from grader.execute import LIMIT_ERRORS
from grader.notebooks import error_line, grade_id, is_read_only
from grader.provision import provide_data


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


def is_done(course: Course, assignment_id: str, student_id: str) -> bool:
    marker = done_marker(course, assignment_id, student_id)
    return marker.exists() and marker.read_text().strip() == digest(course.submitted_notebook(student_id, assignment_id))


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


# --- the worker: a process that grades submission after submission -----------------------------

def grade_one(course: Course, assignment_id: str, student_id: str, limits: Limits) -> dict:
    """Run nbgrader's autograde for one student against ``course.gradebook_path``."""
    if limits.device:
        os.environ["LLMCOURSE_DEVICE"] = limits.device
    api = course.api(cell_timeout=limits.cell_timeout, notebook_timeout=limits.notebook_timeout,
                     memory_mb=limits.memory_mb)
    result = api.autograde(assignment_id, student_id, force=True, create=True)
    return {"ok": True} if result["success"] else {"ok": False, "message": nbgrader_failure(result)}


def serve(course: Course, assignment_id: str, limits: Limits) -> None:
    """The worker's loop (``python -m grader _serve``): one JSON request a line on stdin, naming a
    student, the scratch gradebook and the log; one JSON answer a line on stdout; until stdin closes.

    Each submission still runs in a kernel of its own (grader/execute.py); the worker only saves
    importing nbgrader and the grader again for every submission, which cost 2 s each."""
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    worker_stderr = os.dup(2)
    os.dup2(2, 1)     # a stray print from nbgrader goes to the log, never among the answers
    for line in sys.stdin:
        request = json.loads(line)
        course.gradebook_file = Path(request["gradebook"])
        with open(request["log"], "w") as log:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(log.fileno(), 1), os.dup2(log.fileno(), 2)
            try:
                answer = grade_one(course, assignment_id, request["student"], limits)
            except Exception as err:   # noqa: BLE001 (one bad submission must not stop the worker)
                answer = {"ok": False, "message": f"{type(err).__name__}: {err}"[:300]}
            finally:
                sys.stdout.flush(), sys.stderr.flush()
                os.dup2(worker_stderr, 1), os.dup2(worker_stderr, 2)
        answers.write(json.dumps(answer) + "\n")


def worker_environment(jobs: int) -> dict:
    """The worker's (and so its kernel's) environment: the cores shared out among the jobs.

    PyTorch and NumPy start one thread per core in every kernel. With N kernels on C cores that is
    N*C busy-waiting threads: on 2 cores, two kernels of 2 threads each ran a GPT training step 25x
    slower than two kernels of one thread each. An instructor's own OMP_NUM_THREADS wins."""
    env = dict(os.environ)
    env["LLMCOURSE_OFFLINE"] = "1"   # kernels have no network: a missing file fails at once, and says so
    threads = str(max(1, usable_cpus() // max(1, jobs)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


class Worker:
    """The parent's handle on one ``_serve`` process. A worker that dies or overruns costs only the
    submission it was grading: ``grade`` says why, and the next call starts a fresh worker."""

    def __init__(self, course: Course, assignment_id: str, limits: Limits, jobs: int):
        self.course, self.assignment_id, self.limits, self.jobs = course, assignment_id, limits, jobs
        self.proc = None

    def start(self):
        cmd = [sys.executable, "-m", "grader", "--workdir", str(self.course.workdir),
               "--release-dir", str(self.course.release_dir)]
        if self.course.extra_config:
            cmd += ["--config", str(self.course.extra_config)]
        cmd += ["_serve", self.assignment_id]
        for flag, value in (("--timeout", self.limits.cell_timeout), ("--notebook-timeout", self.limits.notebook_timeout),
                            ("--memory-mb", self.limits.memory_mb), ("--device", self.limits.device)):
            if value is not None:
                cmd += [flag, str(value)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, cwd=self.course.root, env=worker_environment(self.jobs))
        self.answers = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.answers), daemon=True).start()

    @staticmethod
    def _read(proc, answers):
        for line in proc.stdout:
            answers.put(line)
        answers.put(None)    # the worker is gone

    def grade(self, student_id: str, scratch: Path, log: Path, timeout: float) -> Outcome:
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        request = {"student": student_id, "gradebook": str(scratch), "log": str(log)}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.answers.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()    # it overran: nothing it would still answer is wanted
            self.stop()
            return Outcome(student_id, False, "grading did not finish in time (the worker was stopped)")
        except BrokenPipeError:
            line = None
        if line is None:
            code = self.proc.wait()
            self.proc = None
            return Outcome(student_id, False, f"the grading worker failed (exit {code}); see {log}")
        try:
            answer = json.loads(line)
        except json.JSONDecodeError:
            answer = {"message": f"the grading worker answered nonsense; see {log}"}
        return Outcome(student_id, bool(answer.get("ok")), answer.get("message", ""))

    def ask_to_stop(self):
        """Close the worker's input: it exits once it has answered what it was asked."""
        if self.proc is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()

    def stop(self):
        if self.proc is None:
            return
        self.ask_to_stop()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class WorkerPool:
    """``size`` workers, each lent to one submission at a time.

    Our own rather than concurrent.futures' ProcessPoolExecutor: there, one worker killed (by the
    memory watchdog's kernel, a crash, an overrun) breaks the whole pool, and a worker cannot be
    stopped alone; here only that submission is lost and a fresh worker takes the next one."""

    def __init__(self, course: Course, assignment_id: str, limits: Limits, jobs: int, size: int):
        self.workers = [Worker(course, assignment_id, limits, jobs) for _ in range(size)]
        self.free = queue.Queue()
        for worker in self.workers:
            worker.start()    # now, so that they import nbgrader while the parent prepares the class
            self.free.put(worker)
        self.log_dir = course.workdir / "logs" / assignment_id
        self.log_dir.mkdir(parents=True, exist_ok=True)

    def grade(self, student_id: str, template: Path, scratch_dir: Path, timeout: float) -> Outcome:
        scratch = scratch_dir / f"{student_id}.db"
        gradebook.snapshot(template, scratch)
        worker = self.free.get()
        try:
            return worker.grade(student_id, scratch, self.log_dir / f"{student_id}.log", timeout)
        finally:
            self.free.put(worker)

    def close(self):
        for worker in self.workers:
            worker.ask_to_stop()
        for worker in self.workers:
            worker.stop()


# --- the parent: the class --------------------------------------------------------------------

def autograde(course: Course, assignment_id: str, students: list[str] | None, jobs: int, shard, force: bool,
              limits: Limits, progress: bool = True, preflight=None) -> list[str]:
    """Grade the collected submissions; returns one line per graded student and a summary line.

    Before the first kernel starts, the data the assignment reads is put where kernels find it
    (grader/provision.py), then ``preflight()``, if given, runs while the workers start and returns
    lines for the report or raises GraderError to stop with nothing scored (grader/api.py passes
    the canary)."""
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
    if todo:
        provide_data(course, assignment_id)

    # Started first, so that the workers' imports overlap the parent's own preparations (the preflight too).
    workers = WorkerPool(course, assignment_id, limits, jobs, size=max(1, min(jobs, len(todo)))) if todo else None
    lines = []
    try:
        if todo and preflight:
            lines += preflight()
        class_lines, target = grade_class(course, assignment_id, todo, shard, limits, workers, progress)
    finally:
        if workers:
            workers.close()
    graded = sum(1 for line in class_lines if ": not graded:" not in line)
    lines += sorted(class_lines)
    lines.append(f"autograded {graded} of {len(todo)} submission(s) of {assignment_id}"
                 + (f"; {skipped} already graded (use --force to grade again)" if skipped else "")
                 + (f"; shard {shard[0]}/{shard[1]} -> {target}" if shard else ""))
    write_report(course, assignment_id)
    return lines


def grade_class(course: Course, assignment_id: str, todo: list[str], shard, limits: Limits,
                workers: "WorkerPool | None", progress: bool) -> tuple[list[str], Path]:
    """Grade ``todo`` on the workers; merge each result into the class (or shard) gradebook."""
    from nbgrader.api import Gradebook

    gradebook.record_assignment(course, assignment_id)
    target = course.gradebook_path
    if shard:
        target = course.workdir / "shards" / f"{assignment_id}-{shard[0]}of{shard[1]}.db"
        if not target.exists():
            gradebook.snapshot(course.gradebook_path, target, keep_submissions=False)
    if not todo:
        return [], target
    notebook_timeout = limits.notebook_timeout or course.config().GuardedExecute.notebook_timeout

    lines = []
    # Scratch gradebooks hold hidden tests: keep them in the work folder, which kernels cannot see.
    (course.workdir / "scratch").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-scratch-", dir=course.workdir / "scratch") as tmp, \
            ThreadPoolExecutor(max_workers=len(workers.workers)) as pool, \
            Gradebook(gradebook.url(target), gradebook.COURSE_ID) as class_gradebook:
        template = Path(tmp) / "template.db"
        gradebook.snapshot(course.gradebook_path, template)
        futures = [pool.submit(workers.grade, s, template, Path(tmp), notebook_timeout + 180) for s in todo]
        bar = None
        if progress:
            from tqdm import tqdm
            bar = tqdm(total=len(todo), desc=f"autograde {assignment_id}", unit="nb", file=sys.stderr)
        for future in as_completed(futures):
            outcome = future.result()
            if outcome.ok:
                # The parent is the only writer of the class (or shard) gradebook.
                gradebook.merge_into(class_gradebook, Path(tmp) / f"{outcome.student_id}.db", assignment_id,
                                     outcome.student_id)
                done_marker(course, assignment_id, outcome.student_id).write_text(
                    digest(course.submitted_notebook(outcome.student_id, assignment_id)))
                lines.append(summary_line(course, assignment_id, outcome.student_id, class_gradebook))
            else:
                lines.append(f"{outcome.student_id}: not graded: {outcome.message}")
            if bar:
                bar.update(1)
        if bar:
            bar.close()
    return lines, target


def cell_problems(course: Course, assignment_id: str, student_id: str) -> tuple[list[str], list[str]]:
    """What went wrong outside the tests, read from the autograded notebook: what the limits did to
    any cell, and errors in read-only cells (the setup, given code, visible checks). Those came from
    the release, so such an error is the environment's fault or a consequence of the student's
    code, and it costs the tests after it. Returns (limit events, read-only failures)."""
    path = course.autograded_notebook(student_id, assignment_id)
    if not path.exists():
        return [], []
    limits, read_only_failures = [], []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        where = grade_id(cell) or f"cell {index + 1}"
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") in LIMIT_ERRORS:
                limits.append(f"{where}: {error_line(output, 120)}")
            elif is_read_only(cell):
                # The first in full, the others by name: a blank notebook fails every visible check.
                read_only_failures.append(f"{where} ({error_line(output, 120) if not read_only_failures else output.get('ename')})")
    return limits, read_only_failures


def limit_events(course: Course, assignment_id: str, student_id: str) -> list[str]:
    """What the limits did to this submission, one line per cell they hit."""
    return cell_problems(course, assignment_id, student_id)[0]


def notes_on_cells(course: Course, assignment_id: str, student_id: str) -> list[str]:
    """The report's notes on the cells: each limit event, and one line naming the read-only cells that failed."""
    limits, read_only_failures = cell_problems(course, assignment_id, student_id)
    return limits + (["read-only cells failed: " + ", ".join(read_only_failures)] if read_only_failures else [])


def summary_line(course: Course, assignment_id: str, student_id: str, gb) -> str:
    submission = gb.find_submission(assignment_id, student_id)
    line = f"{student_id}: {submission.score:g} / {submission.max_score:g}"
    events = notes_on_cells(course, assignment_id, student_id)
    return line + (f" ({'; '.join(events)})" if events else "")


def late_by(seconds: float) -> str:
    """'2 d 3 h 5 min' for a submission that late; '' for one on time."""
    if not seconds or seconds <= 0:
        return ""
    minutes = max(1, round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return " ".join(f"{n} {unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "min")) if n)


def write_report(course: Course, assignment_id: str) -> Path:
    """One row per collected submission: what collect repaired, the score, how late it came (against
    the due date, if the assignment has one) and the late penalty, what the limits did."""
    from nbgrader.api import Gradebook, MissingEntry
    import csv

    path = course.workdir / "reports" / f"{assignment_id}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    with Gradebook(course.db_url, gradebook.COURSE_ID) as gb:
        for folder in sorted(course.submitted_dir.glob(f"*/{assignment_id}")):
            student_id = folder.parent.name
            info = json.loads((folder / "collect.json").read_text()) if (folder / "collect.json").exists() else {}
            late, penalty = "", ""
            try:
                submission = gb.find_submission(assignment_id, student_id)
                score, max_score, status = f"{submission.score:g}", f"{submission.max_score:g}", "graded"
                late = late_by(submission.total_seconds_late)
                penalty = f"{submission.late_submission_penalty:g}" if submission.late_submission_penalty else ""
            except MissingEntry:
                score, max_score, status = "", "", "not graded yet"
            notes = info.get("notes", []) + notes_on_cells(course, assignment_id, student_id)
            rows.append([student_id, info.get("handed_in_as", ""), status, score, max_score, late, penalty,
                         " | ".join(notes)])
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "handed_in_as", "status", "score", "max_score", "late_by", "late_penalty", "notes"])
        writer.writerows(rows)
    return path
