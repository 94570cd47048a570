"""``python -m grader``: release, collect, autograde, feedback, export, merge and check, over nbgrader."""
import argparse
import csv
import os
import sys
import tempfile
import warnings
from pathlib import Path

from grader.course import Course, GraderError
from grader.cpus import usable_cpus


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line and exit status 2, not a usage dump."""

    def error(self, message):
        self.exit(2, f"grader: error: {message} (see python -m grader --help)\n")


def _first_error_line(result: dict) -> str:
    text = (result.get("error") or result.get("log") or "").strip().splitlines()
    lines = [line for line in text if "Error" in line or "error" in line] or text or ["unknown error"]
    return lines[-1].strip()


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
        scratch = Course(root=course.root, workdir=course.workdir, release_dir=Path(tmp),
                         gradebook_file=course.gradebook_file)
        result = scratch.api().generate_assignment(assignment_id, force=True, create=True)
    if not result["success"]:
        raise GraderError(f"could not record {assignment_id} in the gradebook: {_first_error_line(result)}")


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


def cmd_collect(course: Course, args) -> None:
    from grader.collect import collect

    for line in collect(course, args.assignment, Path(args.path), args.student_pattern):
        print(line)


def _limits(args):
    from grader.autograde import Limits

    return Limits(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                  memory_mb=args.memory_mb, device=args.device)


def cmd_autograde(course: Course, args) -> None:
    from grader.autograde import autograde, parse_shard

    course.check_assignment(args.assignment)
    shard = parse_shard(args.shard) if args.shard else None
    jobs = args.jobs or usable_cpus()
    for line in autograde(course, args.assignment, args.student, jobs, shard, args.force, _limits(args),
                          canary=not args.no_canary):
        print(line)


def cmd_serve(course: Course, args) -> None:
    """The worker behind autograde: grade the students named on stdin (see grader/autograde.py)."""
    from grader.autograde import serve

    serve(course, args.assignment, _limits(args))


def cmd_merge(course: Course, args) -> None:
    from grader import gradebook

    shards = [Path(p) for p in args.shard_gradebooks] or sorted((course.workdir / "shards").glob("*.db"))
    if not shards:
        raise GraderError(f"no shard gradebooks in {course.workdir / 'shards'} (or name them)")
    if not course.gradebook_path.exists():
        raise GraderError(f"no class gradebook at {course.gradebook_path}: release or autograde once first")
    for shard in shards:
        if not shard.exists():
            raise GraderError(f"no such shard gradebook: {shard}")
        merged = gradebook.merge_gradebook(shard, course.gradebook_path)
        print(f"merged {len(merged)} submission(s) from {shard}")
    from grader.autograde import write_report

    for assignment_id in course.assignment_ids():
        if (course.submitted_dir).exists() and any(course.submitted_dir.glob(f"*/{assignment_id}")):
            write_report(course, assignment_id)


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


def cmd_stats(course: Course, args) -> None:
    from grader.stats import class_stats, report, write_csv

    stats = class_stats(course, args.assignment)
    print("\n".join(report(stats)))
    if args.out:
        write_csv(stats, Path(args.out))
        print(f"wrote {len(stats.tests)} test(s) to {args.out}")


def cmd_check(course: Course, args) -> None:
    """Grade every solution notebook through the real grader and require full marks (the canary)."""
    from grader.canary import grade_solution

    if args.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise GraderError("--device cuda: no CUDA device here")
    ids = args.assignment or course.assignment_ids()
    for assignment_id in ids:
        course.check_assignment(assignment_id)
    failures = []
    for assignment_id in ids:
        result = grade_solution(course, assignment_id, _limits(args))
        print(result.summary())
        if not result.full_marks:
            failures.append(result.summary())
    if failures:
        raise GraderError("solutions without full marks: " + " | ".join(failures))
    print(f"check: every solution earns full marks on {args.device or 'the default device'}")


def cmd_publish(course: Course, args) -> None:
    from grader.publish import publish

    names = publish(course, Path(args.dest), force=args.force)
    print(f"published {', '.join(names)} to {args.dest} (checked: no solution or hidden test)")


def _add_limit_flags(p):
    p.add_argument("--timeout", type=int, help="seconds a cell may run (default: the config's, 120)")
    p.add_argument("--notebook-timeout", type=int, help="seconds a whole notebook may run (default: 600)")
    p.add_argument("--memory-mb", type=int, help="memory a notebook's kernel may use (default: 4096; 0: no limit)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="device for the notebooks (default: CUDA when present)")


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
    p.add_argument("--student-pattern", metavar="REGEX",
                   help="where the student id is in each file name: the group 'student', or the first group "
                        r"(e.g. '^[^_]+_(?P<student>\d+)_' for lastname_12345_67890_attention.ipynb)")
    p.set_defaults(run=cmd_collect)

    p = sub.add_parser("autograde", help="run the hidden tests on every collected submission")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--jobs", "-j", type=int, help="submissions graded at once (default: every usable core, container quotas included)")
    p.add_argument("--shard", metavar="i/n", help="grade only slice i of n (for job arrays); merge afterwards")
    p.add_argument("--force", action="store_true", help="grade again submissions that are already graded")
    p.add_argument("--no-canary", action="store_true",
                   help="skip grading the solution first (by default grading stops unless it earns full marks here)")
    _add_limit_flags(p)
    p.set_defaults(run=cmd_autograde)

    p = sub.add_parser("_serve", help=argparse.SUPPRESS)
    p.add_argument("assignment")
    _add_limit_flags(p)
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("merge", help="fold shard gradebooks (default: <workdir>/shards/*.db) into the class gradebook")
    p.add_argument("shard_gradebooks", nargs="*")
    p.set_defaults(run=cmd_merge)

    p = sub.add_parser("feedback", help="write one HTML feedback report per graded student")
    p.add_argument("assignment")
    p.set_defaults(run=cmd_feedback)

    p = sub.add_parser("export", help="write grades as CSV: student_id, assignment, score, max_score")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--out", required=True, help="the CSV file to write")
    p.set_defaults(run=cmd_export)

    p = sub.add_parser("stats", help="the class at a glance: score distribution, each test's mean and share of full marks")
    p.add_argument("assignment")
    p.add_argument("--out", help="also write the per-test figures to this CSV file")
    p.set_defaults(run=cmd_stats)

    p = sub.add_parser("publish", help="write the student-facing tree (no solutions, grader or tests) to DEST")
    p.add_argument("dest")
    p.add_argument("--force", action="store_true", help="replace what DEST holds (its .git is kept)")
    p.set_defaults(run=cmd_publish)

    p = sub.add_parser("check", help="execute every solution notebook through the grader and require full marks")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    _add_limit_flags(p)
    p.set_defaults(run=cmd_check)
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
