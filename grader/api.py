"""The grader as a library: each command of ``python -m grader`` is a function here.

Every function takes a ``Course`` (where the repository, the release folder and the work folder
are) and keyword arguments, and returns what it did; it raises ``GraderError`` with a message an
instructor can act on. ``grader/cli.py`` only parses arguments, calls these and prints.

    from grader import api
    from grader.course import Course

    course = Course(workdir=Path("/shared/work"))
    api.collect(course, "attention", Path("handed-in.zip"))
    lines = api.autograde(course, "attention", jobs=8)
    api.export(course, Path("grades.csv"))
"""
import csv
from pathlib import Path

from grader import gradebook
from grader.autograde import Limits, autograde as _autograde, parse_shard, write_report
from grader.canary import SolutionResult, grade_solution, require_full_marks
from grader.collect import collect as _collect
from grader.course import Course, GraderError, nbgrader_failure, parse_due_date
from grader.cpus import usable_cpus

__all__ = ["Limits", "SolutionResult", "release", "collect", "autograde", "merge", "feedback", "export",
           "stats", "publish", "check"]


def release(course: Course, assignment_ids: list[str] | None = None, duedate: str | None = None) -> list[Path]:
    """Regenerate the student versions from the source notebooks; returns the folders written.
    ``duedate`` ("2027-01-15 17:00 UTC") is recorded in the gradebook for each of them; without it,
    the config's ``c.Grader.due_dates`` apply."""
    ids = assignment_ids or course.assignment_ids()
    given = parse_due_date(duedate) if duedate else None
    for assignment_id in ids:
        course.check_assignment(assignment_id)
    api = course.api()
    written = []
    for assignment_id in ids:
        result = api.generate_assignment(assignment_id, force=True, create=True)
        if not result["success"]:
            raise GraderError(f"release of {assignment_id} failed: {nbgrader_failure(result)}")
        due = given or course.due_date(assignment_id)
        if due:
            gradebook.set_due_date(course, assignment_id, due)
        written.append(course.release_dir / assignment_id)
    return written


def collect(course: Course, assignment_id: str, path: Path, student_pattern: str | None = None,
            timestamp_pattern: str | None = None) -> list[str]:
    """File the handed-in notebooks under ``path`` (a folder or a .zip); returns the report's lines.
    Each submission's time is its file's (or zip entry's) time, or what ``timestamp_pattern`` reads
    from its name."""
    return _collect(course, assignment_id, Path(path), student_pattern, timestamp_pattern)


def autograde(course: Course, assignment_id: str, students: list[str] | None = None, jobs: int | None = None,
              shard: str | tuple[int, int] | None = None, force: bool = False, limits: Limits | None = None,
              canary: bool = True, progress: bool = False) -> list[str]:
    """Grade the collected submissions (only new or changed ones unless ``force``); returns one line
    per student graded and a summary line. ``shard`` is "i/n" or (i, n). The data the assignment
    reads is made available first, and, unless ``canary`` is false, the solution must earn full
    marks in this environment before anyone is graded (grader/canary.py)."""
    course.check_assignment(assignment_id)
    if isinstance(shard, str):
        shard = parse_shard(shard)
    limits = limits or Limits()
    preflight = (lambda: require_full_marks(course, assignment_id, limits)) if canary else None
    return _autograde(course, assignment_id, students, jobs or usable_cpus(), shard, force, limits,
                      progress=progress, preflight=preflight)


def merge(course: Course, shard_gradebooks: list[Path] | None = None) -> list[tuple[Path, int]]:
    """Fold shard gradebooks (default: every ``<workdir>/shards/*.db``) into the class gradebook;
    returns each shard with the number of submissions it brought. Merging twice changes nothing."""
    shards = [Path(p) for p in shard_gradebooks or []] or sorted((course.workdir / "shards").glob("*.db"))
    if not shards:
        raise GraderError(f"no shard gradebooks in {course.workdir / 'shards'} (or name them)")
    if not course.gradebook_path.exists():
        raise GraderError(f"no class gradebook at {course.gradebook_path}: release or autograde once first")
    missing = [str(shard) for shard in shards if not shard.exists()]
    if missing:
        raise GraderError(f"no such shard gradebook: {missing[0]}")
    merged = [(shard, len(gradebook.merge_gradebook(shard, course.gradebook_path))) for shard in shards]
    for assignment_id in course.assignment_ids():
        if any(course.submitted_dir.glob(f"*/{assignment_id}")):
            write_report(course, assignment_id)
    return merged


def feedback(course: Course, assignment_id: str) -> dict[str, Path]:
    """Write one HTML report per graded student, hidden tests left out; returns student -> file."""
    course.check_assignment(assignment_id)
    graded = sorted(p.parent.name for p in course.autograded_dir.glob(f"*/{assignment_id}"))
    if not graded:
        raise GraderError(f"no autograded submissions of {assignment_id}: run python -m grader autograde first")
    result = course.api().generate_feedback(assignment_id, force=True)
    if not result["success"]:
        raise GraderError(f"feedback for {assignment_id} failed: {nbgrader_failure(result)}")
    return {student: course.feedback_dir / student / assignment_id / f"{assignment_id}.html" for student in graded}


def export(course: Course, out: Path, assignment_ids: list[str] | None = None) -> list[tuple[str, str, float, float]]:
    """Write the grades as CSV (student_id, assignment, score, max_score), every student of every
    chosen assignment, 0 for a student who handed nothing in; returns the rows written."""
    rows = gradebook.grade_rows(course, assignment_ids)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "score", "max_score"])
        for student_id, assignment, score, max_score in rows:
            writer.writerow([student_id, assignment, f"{score:g}", f"{max_score:g}"])
    return rows


def stats(course: Course, assignment_id: str, out: Path | None = None):
    """The class at a glance (``grader.stats.ClassStats``); also written as CSV to ``out`` if given."""
    from grader.stats import class_stats, write_csv

    result = class_stats(course, assignment_id)
    if out:
        write_csv(result, Path(out))
    return result


def publish(course: Course, dest: Path, force: bool = False) -> list[str]:
    """Write the student-facing tree (no solutions, grader or tests) to ``dest``, after checking it
    for leaks; returns the names published."""
    from grader.publish import publish as _publish

    return _publish(course, Path(dest), force=force)


def check(course: Course, assignment_ids: list[str] | None = None, limits: Limits | None = None) -> list[SolutionResult]:
    """Grade each solution notebook through the real grader (the canary); returns how each did."""
    limits = limits or Limits()
    if limits.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise GraderError("--device cuda: no CUDA device here")
    ids = assignment_ids or course.assignment_ids()
    for assignment_id in ids:
        course.check_assignment(assignment_id)
    return [grade_solution(course, assignment_id, limits) for assignment_id in ids]
