"""``python -m grader``: release, collect, autograde, feedback and export, over nbgrader."""
import argparse
import csv
import os
import sys
import tempfile
import warnings
from pathlib import Path

from grader.course import Course, GraderError


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line and exit status 2, not a usage dump."""

    def error(self, message):
        self.exit(2, f"grader: error: {message} (see python -m grader --help)\n")


def _first_error_line(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    lines = [line for line in text if "Error" in line or "error" in line] or text or ["unknown error"]
    return lines[-1].strip()


# --- release -------------------------------------------------------------------------------

def cmd_release(course: Course, args) -> None:
    ids = args.assignment or course.assignment_ids()
    for assignment_id in ids:
        course.check_assignment(assignment_id)
    api = course.api()
    for assignment_id in ids:
        result = api.generate_assignment(assignment_id, force=True, create=True)
        if not result["success"]:
            raise GraderError(f"release of {assignment_id} failed: {_first_error_line(result)}")
        print(f"released {assignment_id} -> {course.release_dir / assignment_id}")


def ensure_in_gradebook(course: Course, api, assignment_id: str) -> None:
    """Teach the gradebook an assignment (its hidden tests, checksums) from its source notebook."""
    from nbgrader.api import MissingEntry

    with api.gradebook as gb:
        try:
            gb.find_assignment(assignment_id)
            return
        except MissingEntry:
            pass
    # Generating the student version is how nbgrader records an assignment; write it somewhere
    # temporary so that the committed assignments/ are left exactly as they are.
    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        scratch = Course(root=course.root, workdir=course.workdir, release_dir=Path(tmp))
        result = scratch.api().generate_assignment(assignment_id, force=True, create=True)
    if not result["success"]:
        raise GraderError(f"could not record {assignment_id} in the gradebook: {_first_error_line(result)}")


# --- collect -------------------------------------------------------------------------------

def cmd_collect(course: Course, args) -> None:
    from grader.submissions import file_submission, find_submissions, opened

    course.check_assignment(args.assignment)
    with opened(Path(args.path)) as folder:
        found, problems = find_submissions(folder)
        latest = {}
        for item in found:
            earlier = latest.get(item.student_id)
            if earlier is not None:
                newer, older = sorted([earlier, item], key=lambda f: f.path.stat().st_mtime, reverse=True)
                problems.append(f"{item.student_id}: two notebooks ({older.path.name}, {newer.path.name}); "
                                f"kept the newer one, {newer.path.name}")
                item = newer
            latest[item.student_id] = item
        collected = 0
        for student_id, item in sorted(latest.items()):
            try:
                file_submission(course, args.assignment, item)
                collected += 1
            except GraderError as err:
                problems.append(f"{student_id}: {err}")
    for line in problems:
        print(f"  ! {line}")
    print(f"collected {collected} submission(s) of {args.assignment} into {course.submitted_dir}")
    if not latest:
        raise GraderError(f"no notebooks found in {args.path}")


# --- autograde -----------------------------------------------------------------------------

def submitted_students(course: Course, assignment_id: str) -> list[str]:
    return sorted(p.parent.name for p in course.submitted_dir.glob(f"*/{assignment_id}") if p.is_dir())


def cmd_autograde(course: Course, args) -> None:
    course.check_assignment(args.assignment)
    if args.device:
        os.environ["LLMCOURSE_DEVICE"] = args.device   # the grading kernels inherit it
    students = args.student or submitted_students(course, args.assignment)
    if not students:
        raise GraderError(f"nothing to grade: no submissions of {args.assignment} in {course.submitted_dir} "
                          f"(run python -m grader collect {args.assignment} PATH first)")
    api = course.api(cell_timeout=args.timeout)
    ensure_in_gradebook(course, api, args.assignment)
    failures = 0
    for student_id in students:
        result = api.autograde(args.assignment, student_id, force=True, create=True)
        if result["success"]:
            score, max_score = submission_score(course, args.assignment, student_id)
            print(f"{student_id}: {score:g} / {max_score:g}")
        else:
            failures += 1
            print(f"{student_id}: not graded: {_first_error_line(result)}")
    print(f"autograded {len(students) - failures} of {len(students)} submission(s) of {args.assignment}")


def submission_score(course: Course, assignment_id: str, student_id: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.config().CourseDirectory.course_id) as gb:
        submission = gb.find_submission(assignment_id, student_id)
        return submission.score, submission.max_score


# --- feedback ------------------------------------------------------------------------------

def cmd_feedback(course: Course, args) -> None:
    course.check_assignment(args.assignment)
    graded = sorted(p.parent.name for p in course.autograded_dir.glob(f"*/{args.assignment}"))
    if not graded:
        raise GraderError(f"no autograded submissions of {args.assignment}: run python -m grader autograde first")
    result = course.api().generate_feedback(args.assignment, force=True)
    if not result["success"]:
        raise GraderError(f"feedback for {args.assignment} failed: {_first_error_line(result)}")
    for student_id in graded:
        print(f"{student_id}: {course.feedback_dir / student_id / args.assignment / (args.assignment + '.html')}")


# --- export --------------------------------------------------------------------------------

def cmd_export(course: Course, args) -> None:
    from nbgrader.api import Gradebook, MissingEntry

    if not course.gradebook_path.exists():
        raise GraderError(f"no gradebook at {course.gradebook_path}: collect and autograde first")
    rows = []
    with Gradebook(course.db_url, course.config().CourseDirectory.course_id) as gb:
        assignments = [a for a in gb.assignments if not args.assignment or a.name in args.assignment]
        for assignment in assignments:
            for student in gb.students:
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                    score, max_score = submission.score, submission.max_score
                except MissingEntry:
                    score, max_score = 0.0, assignment.max_score
                rows.append((student.id, assignment.name, score, max_score))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "assignment", "score", "max_score"])
        for student_id, assignment, score, max_score in sorted(rows):
            writer.writerow([student_id, assignment, f"{score:g}", f"{max_score:g}"])
    print(f"wrote {len(rows)} grade(s) to {out}")


# --- the command line ----------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m grader", description=__doc__)
    parser.add_argument("--workdir", type=Path, default=os.environ.get("GRADER_WORKDIR"),
                        help="where the gradebook, submissions and feedback live (default: grader/work)")
    parser.add_argument("--release-dir", type=Path, help="where student versions are written (default: assignments/)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p = sub.add_parser("release", help="regenerate the student versions in assignments/ from solutions/")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("collect", help="file handed-in notebooks from a folder or a .zip for grading")
    p.add_argument("assignment")
    p.add_argument("path", help="folder or .zip of <student_id>.ipynb or <student_id>/<anything>.ipynb")
    p.set_defaults(run=cmd_collect)

    p = sub.add_parser("autograde", help="run the hidden tests on every collected submission")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--timeout", type=int, help="seconds a cell may run (default: the config's, 120)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="device for the notebooks (default: CUDA when present)")
    p.set_defaults(run=cmd_autograde)

    p = sub.add_parser("feedback", help="write one HTML feedback report per graded student")
    p.add_argument("assignment")
    p.set_defaults(run=cmd_feedback)

    p = sub.add_parser("export", help="write grades as CSV: student_id, assignment, score, max_score")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--out", required=True, help="the CSV file to write")
    p.set_defaults(run=cmd_export)
    return parser


def main(argv=None) -> int:
    # nbgrader's own SQLAlchemy usage warns on every submission; the warnings are not ours to fix.
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    args = build_parser().parse_args(argv)
    course = Course()
    if args.workdir:
        course.workdir = Path(args.workdir).resolve()
    if args.release_dir:
        course.release_dir = Path(args.release_dir).resolve()
    try:
        args.run(course, args)
    except GraderError as err:
        print(f"grader: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    return 0
