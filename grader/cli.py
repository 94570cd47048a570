"""``python -m grader``: release, collect, autograde, feedback, export, stats, publish, merge and check, over nbgrader.

Only the command line lives here: each command parses its arguments, calls the function of the same
name in ``grader/api.py`` and prints what it returns."""
import argparse
import os
import sys
import warnings
from pathlib import Path

from grader import api
from grader.course import Course, GraderError


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line and exit status 2, not a usage dump."""

    def error(self, message):
        self.exit(2, f"grader: error: {message} (see python -m grader --help)\n")


def _limits(args) -> api.Limits:
    return api.Limits(cell_timeout=args.timeout, notebook_timeout=args.notebook_timeout,
                      memory_mb=args.memory_mb, device=args.device)


def cmd_release(course: Course, args) -> None:
    for folder in api.release(course, args.assignment, duedate=args.duedate):
        print(f"released {folder.name} -> {folder}")


def cmd_collect(course: Course, args) -> None:
    for line in api.collect(course, args.assignment, Path(args.path), student_pattern=args.student_pattern,
                            timestamp_pattern=args.timestamp_pattern):
        print(line)


def cmd_autograde(course: Course, args) -> None:
    lines = api.autograde(course, args.assignment, students=args.student, jobs=args.jobs, shard=args.shard,
                          force=args.force, limits=_limits(args), canary=not args.no_canary, progress=True)
    for line in lines:
        print(line)


def cmd_serve(course: Course, args) -> None:
    """The worker behind autograde: grade the students named on stdin (see grader/autograde.py)."""
    from grader.autograde import serve

    serve(course, args.assignment, _limits(args))


def cmd_merge(course: Course, args) -> None:
    for shard, count in api.merge(course, [Path(p) for p in args.shard_gradebooks]):
        print(f"merged {count} submission(s) from {shard}")


def cmd_feedback(course: Course, args) -> None:
    for student_id, path in api.feedback(course, args.assignment).items():
        print(f"{student_id}: {path}")


def cmd_export(course: Course, args) -> None:
    rows = api.export(course, Path(args.out), args.assignment)
    print(f"wrote {len(rows)} grade(s) to {args.out}")


def cmd_stats(course: Course, args) -> None:
    from grader.stats import report

    stats = api.stats(course, args.assignment, out=args.out)
    print("\n".join(report(stats)))
    if args.out:
        print(f"wrote {len(stats.tests)} test(s) to {args.out}")


def cmd_check(course: Course, args) -> None:
    results = api.check(course, args.assignment, limits=_limits(args))
    for result in results:
        print(result.summary())
    failures = [result.summary() for result in results if not result.full_marks]
    if failures:
        raise GraderError("solutions without full marks: " + " | ".join(failures))
    print(f"check: every solution earns full marks on {args.device or 'the default device'}")


def cmd_publish(course: Course, args) -> None:
    names = api.publish(course, Path(args.dest), force=args.force)
    print(f"published {', '.join(names)} to {args.dest} (checked: no solution or hidden test)")


def _add_limit_flags(p):
    p.add_argument("--timeout", type=int, help="seconds a cell may run (default: the config's, 120)")
    p.add_argument("--notebook-timeout", type=int, help="seconds a whole notebook may run (default: 600)")
    p.add_argument("--memory-mb", type=int, help="memory a notebook's kernel may use (default: 4096; 0: no limit)")
    p.add_argument("--device", choices=["cpu", "cuda"], help="device for the notebooks (default: CUDA when present)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m grader", description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=os.environ.get("GRADER_WORKDIR"),
                        help="where the gradebook, submissions and feedback live (default: grader/work)")
    parser.add_argument("--release-dir", type=Path, help="where student versions are written (default: assignments/)")
    parser.add_argument("--config", type=Path, default=os.environ.get("GRADER_CONFIG"),
                        help="an nbgrader config file loaded over grader/nbgrader_config.py (due dates, late penalties)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    p = sub.add_parser("release", help="regenerate the student versions in assignments/ from solutions/")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all)")
    p.add_argument("--duedate", metavar="WHEN",
                   help="record this due date in the gradebook, e.g. '2027-01-15 17:00 Europe/London' (default: the config's)")
    p.set_defaults(run=cmd_release)

    p = sub.add_parser("collect", help="file handed-in notebooks from a folder or a .zip for grading")
    p.add_argument("assignment")
    p.add_argument("path", help="folder or .zip of <student_id>.ipynb or <student_id>/<anything>.ipynb")
    p.add_argument("--student-pattern", metavar="REGEX",
                   help="where the student id is in each file name: the group 'student', or the first group "
                        r"(e.g. '^[^_]+_(?P<student>\d+)_' for lastname_12345_67890_attention.ipynb)")
    p.add_argument("--timestamp-pattern", metavar="REGEX",
                   help="where the hand-in time is in each file name: the group 'timestamp', or the first group "
                        "(default: the file's own time, or the time the .zip recorded)")
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
    if args.config:
        course.extra_config = Path(args.config).resolve()
    try:
        args.run(course, args)
    except GraderError as err:
        print(f"grader: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
    return 0
