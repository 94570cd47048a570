"""A class at a glance: how the graded students scored, test by test, and what the limits did.

Read from the gradebook and the autograded notebooks only; nothing is graded again. An instructor
of hundreds uses it to find the exercise the class got stuck on before reading any feedback.
"""
import csv
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader import gradebook
from grader.course import Course, GraderError
from grader.notebooks import grade_id, is_grade

HISTOGRAM_BINS = 10
BAR_WIDTH = 40


@dataclass
class TestStats:
    grade_id: str
    max_score: float
    scores: list[float]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores)

    @property
    def full_marks(self) -> float:
        return sum(s == self.max_score for s in self.scores) / len(self.scores)

    @property
    def zero(self) -> float:
        return sum(s == 0 for s in self.scores) / len(self.scores)


@dataclass
class ClassStats:
    assignment_id: str
    max_score: float
    totals: dict[str, float]             # student -> score
    tests: list[TestStats]               # in notebook order
    not_graded: list[str]                # collected, not graded yet
    limit_events: Counter                # error name -> submissions it hit


def graded_cells_in_order(course: Course, assignment_id: str) -> list[str]:
    source = nbformat.read(course.source_notebook(assignment_id), as_version=4)
    return [grade_id(c) for c in source.cells if c.cell_type == "code" and is_grade(c)]


def class_stats(course: Course, assignment_id: str) -> ClassStats:
    from nbgrader.api import Gradebook, MissingEntry

    from grader.autograde import limit_events

    course.check_assignment(assignment_id)
    if not course.gradebook_path.exists():
        raise GraderError(f"no gradebook at {course.gradebook_path}: collect and autograde first")
    collected = sorted(p.parent.name for p in course.submitted_dir.glob(f"*/{assignment_id}"))
    order = graded_cells_in_order(course, assignment_id)
    per_test: dict[str, list[float]] = {grade_id: [] for grade_id in order}
    max_scores: dict[str, float] = {}
    totals, not_graded, events = {}, [], Counter()
    with Gradebook(course.db_url, gradebook.COURSE_ID) as gb:
        for student_id in collected:
            try:
                submission = gb.find_submission_notebook(assignment_id, assignment_id, student_id)
            except MissingEntry:
                not_graded.append(student_id)
                continue
            totals[student_id] = submission.score
            for grade in submission.grades:
                per_test.setdefault(grade.name, []).append(grade.score)
                max_scores[grade.name] = grade.max_score
            events.update({event.split(": ")[1] for event in limit_events(course, assignment_id, student_id)})
        max_score = gb.find_assignment(assignment_id).max_score
    if not totals:
        raise GraderError(f"no graded submissions of {assignment_id}: run python -m grader autograde "
                          f"{assignment_id} first")
    tests = [TestStats(grade_id, max_scores[grade_id], scores) for grade_id, scores in per_test.items() if scores]
    return ClassStats(assignment_id, max_score, totals, tests, not_graded, events)


def histogram(totals: list[float], max_score: float) -> list[tuple[str, int]]:
    """Students per tenth of the maximum score; full marks count in the top bin."""
    counts = [0] * HISTOGRAM_BINS
    for score in totals:
        counts[min(int(score / max_score * HISTOGRAM_BINS), HISTOGRAM_BINS - 1)] += 1
    step = 100 // HISTOGRAM_BINS
    return [(f"{i * step:3d}-{(i + 1) * step}%", n) for i, n in enumerate(counts)]


def report(stats: ClassStats) -> list[str]:
    scores = list(stats.totals.values())
    top = stats.max_score
    lines = [f"{stats.assignment_id}: {len(scores)} graded" + (f", {len(stats.not_graded)} not graded yet" if stats.not_graded else "")
             + f"; mean {statistics.fmean(scores):.1f} / {top:g} ({statistics.fmean(scores) / top:.0%}), "
             f"median {statistics.median(scores):g}, lowest {min(scores):g}, highest {max(scores):g}",
             "", "score distribution (students per tenth of the maximum):"]
    bins = histogram(scores, top)
    most = max(count for _, count in bins)
    for label, count in bins:
        lines.append(f"  {label:>8}  {'#' * round(count / most * BAR_WIDTH) if count else '':<{BAR_WIDTH}} {count}")
    width = max(len(t.grade_id) for t in stats.tests)
    lines += ["", "per test, in notebook order:",
              f"  {'test':<{width}}  {'points':>6}  {'mean':>5}  {'full marks':>10}  {'zero':>4}"]
    for t in stats.tests:
        lines.append(f"  {t.grade_id:<{width}}  {t.max_score:6g}  {t.mean:5.2f}  {t.full_marks:10.0%}  {t.zero:4.0%}")
    hardest = min(stats.tests, key=lambda t: (t.full_marks, t.mean / t.max_score))
    if hardest.full_marks < 1:
        lines += ["", f"hardest test: {hardest.grade_id} ({hardest.full_marks:.0%} of the class earned full marks)"]
    if stats.limit_events:
        hit = ", ".join(f"{name} in {count}" for name, count in sorted(stats.limit_events.items()))
        lines.append(f"limits hit (submissions): {hit}; reports/{stats.assignment_id}.csv says where")
    return lines


def write_csv(stats: ClassStats, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "grade_id", "max_score", "students", "mean_score", "full_marks", "zero"])
        for t in stats.tests:
            writer.writerow([stats.assignment_id, t.grade_id, f"{t.max_score:g}", len(t.scores), f"{t.mean:.4f}",
                             f"{t.full_marks:.4f}", f"{t.zero:.4f}"])
