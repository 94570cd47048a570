"""Moving grades between nbgrader gradebooks: how parallel workers and shards report back.

Each grading worker writes into a gradebook of its own, so no two processes ever write the same
SQLite file; the one parent process then merges the result into the class gradebook, one
transaction per submission. Merging is keyed by (assignment, student), so merging twice changes
nothing and a merge cut short by a kill leaves the class gradebook as it was before it.
"""
import sqlite3
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from grader.course import COURSE_ID, Course, GraderError, nbgrader_failure
from grader.course import sqlite_url as url


def set_due_date(course: Course, assignment_id: str, due) -> None:
    """Record ``due`` (a UTC datetime, or None for none) as the assignment's due date: nbgrader then
    measures each submission's lateness from the time collect recorded, and its late-penalty plugin
    (``c.LateSubmissionPlugin.penalty_method``, default none) sets the penalty export subtracts."""
    with Gradebook(course.db_url, COURSE_ID) as gb:
        gb.update_or_create_assignment(assignment_id, duedate=due)


def record_assignment(course: Course, assignment_id: str) -> None:
    """Teach the class gradebook an assignment (its hidden tests, checksums) from its source notebook,
    with the due date the config gives it, if any."""
    configured = course.due_date(assignment_id)
    with Gradebook(course.db_url, COURSE_ID) as gb:
        try:
            known = gb.find_assignment(assignment_id)
            if configured and known.duedate != configured:
                known.duedate = configured
                gb.db.commit()
            return
        except MissingEntry:
            pass
    # Generating the student version is how nbgrader records an assignment; write it somewhere
    # temporary so that the committed assignments/ are left exactly as they are.
    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        scratch = Course(root=course.root, workdir=course.workdir, release_dir=Path(tmp),
                         gradebook_file=course.gradebook_file, extra_config=course.extra_config)
        result = scratch.api().generate_assignment(assignment_id, force=True, create=True)
    if not result["success"]:
        raise GraderError(f"could not record {assignment_id} in the gradebook: {nbgrader_failure(result)}")
    if configured:
        set_due_date(course, assignment_id, configured)


def grade_rows(course: Course, assignment_ids: list[str] | None = None) -> list[tuple[str, str, float, float]]:
    """(student_id, assignment, score, max_score) for every student of every chosen assignment in the
    gradebook, sorted; the score is net of any late penalty, and a student with no submission of an
    assignment scores 0 in it. (nbgrader's CsvExportPlugin writes its own eleven columns; the course
    promises these four, so the rows are read here, from the same gradebook API.)"""
    if not course.gradebook_path.exists():
        raise GraderError(f"no gradebook at {course.gradebook_path}: collect and autograde first")
    rows = []
    with Gradebook(course.db_url, COURSE_ID) as gb:
        for assignment in gb.assignments:
            if assignment_ids and assignment.name not in assignment_ids:
                continue
            for student in gb.students:
                try:
                    submission = gb.find_submission(assignment.name, student.id)
                    score = max(0.0, submission.score - (submission.late_submission_penalty or 0.0))
                    max_score = submission.max_score
                except MissingEntry:
                    score, max_score = 0.0, assignment.max_score
                rows.append((student.id, assignment.name, score, max_score))
    return sorted(rows)


def snapshot(src: Path, dst: Path, keep_submissions: bool = True) -> None:
    """A consistent copy of a gradebook, even while another connection writes to it.

    A shard's gradebook is merged whole into the class gradebook, so it starts without the class's
    submissions: stale copies of other shards' grades would overwrite their new ones."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.unlink(missing_ok=True)
    with sqlite3.connect(src) as source, sqlite3.connect(dst) as target:
        source.backup(target)
    if not keep_submissions:
        with Gradebook(url(dst), COURSE_ID) as gb:
            for assignment in gb.assignments:
                for submission in list(assignment.submissions):
                    gb.remove_submission(assignment.name, submission.student.id)


def merge_submission(source: Gradebook, target: Gradebook, assignment_id: str, student_id: str) -> None:
    submission = source.find_submission(assignment_id, student_id)
    student = submission.student
    target.update_or_create_student(student_id, first_name=student.first_name, last_name=student.last_name,
                                    email=student.email, lms_user_id=student.lms_user_id)
    copied = target.update_or_create_submission(assignment_id, student_id, timestamp=submission.timestamp)
    copied.extension = submission.extension
    for notebook in submission.notebooks:
        into = target.find_submission_notebook(notebook.name, assignment_id, student_id)
        into.flagged = notebook.flagged
        into.late_submission_penalty = notebook.late_submission_penalty
        for grade in notebook.grades:
            g = target.find_grade(grade.name, notebook.name, assignment_id, student_id)
            g.auto_score, g.manual_score = grade.auto_score, grade.manual_score
            g.extra_credit, g.needs_manual_grade = grade.extra_credit, grade.needs_manual_grade
        for comment in notebook.comments:
            c = target.find_comment(comment.name, notebook.name, assignment_id, student_id)
            c.auto_comment, c.manual_comment = comment.auto_comment, comment.manual_comment
    target.db.commit()


def merge_into(target: Gradebook, src: Path, assignment_id: str | None = None,
               student_id: str | None = None) -> list[tuple[str, str]]:
    """Merge every submission of ``src`` (optionally of one assignment, of one student) into the
    open gradebook ``target``, one transaction per submission.

    A worker's gradebook starts as a copy of the class gradebook, so it also holds the grades other
    students had then: merging only the student it graded keeps those stale grades out."""
    merged = []
    with Gradebook(url(src), COURSE_ID) as source:
        for assignment in source.assignments:
            if assignment_id and assignment.name != assignment_id:
                continue
            try:
                target.find_assignment(assignment.name)
            except MissingEntry:
                raise RuntimeError(f"the gradebook does not know assignment {assignment.name!r}; release it first")
            for submission in assignment.submissions:
                if student_id and submission.student.id != student_id:
                    continue
                try:
                    merge_submission(source, target, assignment.name, submission.student.id)
                except Exception:
                    target.db.rollback()
                    raise
                merged.append((assignment.name, submission.student.id))
    return merged


def merge_gradebook(src: Path, dst: Path) -> list[tuple[str, str]]:
    """Merge every submission of the gradebook ``src`` into the gradebook ``dst``."""
    with Gradebook(url(dst), COURSE_ID) as target:
        return merge_into(target, src)
