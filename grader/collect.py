"""Collecting a class's handed-in notebooks, however they arrive.

Files come as a folder or a zip (an LMS export), named ``<student_id>.ipynb``,
``<student_id>/<anything>.ipynb``, or anything a ``--student-pattern`` regex can read the student
id from (``lastname_12345_67890_attention.ipynb``). Notebooks downloaded from Colab may have lost
their cell metadata, gained Colab's, dropped ``nbformat_minor``, or be called
``Copy of attention.ipynb``; some are not notebooks at all. For each file ``collect``:

1. reads it whatever its encoding and nbformat version, or reports why it cannot;
2. checks that it is this assignment's notebook (by its cells, not its name);
3. rebuilds it on the release: every read-only and test cell comes from the release, each answer
   cell from the student's matching cell (by nbgrader id, else by content and order), and cells
   the student added stay where they were;
4. files it for nbgrader, keeping the latest submission of each student and every other one aside.

Nothing is dropped silently: every file ends up filed, superseded or rejected, with a line saying so.
nbgrader's own collectors (``nbgrader zip_collect`` and its file-name plugins) only file by name;
they neither repair nor rebuild, which is why this module is ours.
"""
import copy
import datetime as dt
import difflib
import json
import os
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grader.course import Course, GraderError
from grader.notebooks import grade_id, is_answer

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")
JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")


class Rejected(Exception):
    """This file cannot be graded; the message says why, in words an instructor can act on."""


@dataclass
class Candidate:
    path: Path
    shown_as: str                       # the name as it was handed in
    student_id: str | None
    timestamp: dt.datetime
    notes: list[str] = field(default_factory=list)


# --- where the files are --------------------------------------------------------------------

@contextmanager
def opened(path: Path):
    """A folder holding the handed-in files: ``path`` itself, or a zip extracted safely."""
    if not path.exists():
        raise GraderError(f"no such file or directory: {path}")
    if path.is_dir():
        yield path
        return
    if not zipfile.is_zipfile(path):
        raise GraderError(f"{path} is neither a folder nor a .zip of notebooks")
    with tempfile.TemporaryDirectory(prefix="grader-collect-") as tmp, zipfile.ZipFile(path) as archive:
        root = Path(tmp).resolve()
        for member in archive.infolist():
            target = (root / member.filename).resolve()
            if not target.is_relative_to(root):
                raise GraderError(f"{path}: refusing the zip entry {member.filename!r}, which points outside the archive")
        for member in archive.infolist():
            archive.extract(member, root)
            # Keep the time the LMS recorded, so "the latest submission wins" means what it says.
            stamp = dt.datetime(*member.date_time).timestamp()
            target = root / member.filename
            if target.is_file():
                os.utime(target, (stamp, stamp))
        yield root


def student_of(rel: Path, pattern: re.Pattern | None) -> str | None:
    if pattern is not None:
        match = pattern.search(rel.name) or pattern.search(rel.as_posix())
        if not match:
            return None
        return match.groupdict().get("student") or (match.group(1) if match.groups() else match.group(0))
    return rel.stem if len(rel.parts) == 1 else rel.parts[0]


def time_from_name(rel: Path, pattern: re.Pattern) -> dt.datetime | None:
    """The time ``pattern`` reads from a file's name (its group 'timestamp', or its first group), in
    UTC; None where it does not match or its text is not a time."""
    from nbgrader.utils import parse_utc

    match = pattern.search(rel.name) or pattern.search(rel.as_posix())
    if not match:
        return None
    text = match.groupdict().get("timestamp") or (match.group(1) if match.groups() else match.group(0))
    try:
        return parse_utc(text).replace(tzinfo=dt.timezone.utc)
    except (ValueError, OverflowError):
        return None


def find_candidates(folder: Path, pattern: re.Pattern | None,
                    timestamp_pattern: re.Pattern | None = None) -> tuple[list[Candidate], list[str]]:
    candidates, problems = [], []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if JUNK_PARTS & set(rel.parts) or path.name.startswith("._"):
            continue
        student = student_of(rel, pattern)
        if student is None:
            problems.append(f"{rel}: not collected: cannot tell whose it is "
                            + ("(--student-pattern does not match)" if pattern else
                               "(expected <student_id>.ipynb or <student_id>/<notebook>.ipynb; see --student-pattern)"))
            continue
        if not STUDENT_ID.match(student):
            problems.append(f"{rel}: not collected: {student!r} is not a usable student id")
            continue
        stamp = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc)
        notes = []
        if timestamp_pattern is not None:
            named = time_from_name(rel, timestamp_pattern)
            if named is None:
                notes.append("--timestamp-pattern found no time in its name: the file's own time counts")
            else:
                stamp = named
        candidates.append(Candidate(path, str(rel), student, stamp, notes))
    return candidates, problems


# --- reading whatever arrives -----------------------------------------------------------------

def read_notebook(path: Path, notes: list[str]):
    raw = path.read_bytes()
    if not raw.strip():
        raise Rejected("the file is empty")
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if encoding not in ("utf-8-sig",):
        notes.append(f"re-read as {encoding}: the file was not valid UTF-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        stripped = text.strip()
        # A file cut short parses cleanly until near its end; garbage fails early.
        cut_off = stripped.startswith("{") and not stripped.endswith("}") and err.pos > 0.5 * len(stripped)
        raise Rejected("the file is cut off (it ends before its JSON does): ask for it again" if cut_off else
                       f"not a notebook: invalid JSON at line {err.lineno}, column {err.colno}") from err
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise Rejected("not a notebook: the JSON has no cells")
    major = data.get("nbformat")
    if major == 3:
        notes.append("converted from nbformat 3")
    elif major != 4:
        raise Rejected(f"unsupported nbformat {major!r}")
    if major == 4 and "nbformat_minor" not in data:
        data["nbformat_minor"] = 4
        notes.append("added the missing nbformat_minor")
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
    except Exception as err:  # nbformat raises several kinds; each means the same here
        raise Rejected(f"not a readable notebook ({type(err).__name__}: {err})") from err
    if "colab" in nb.metadata:
        del nb.metadata["colab"]
        notes.append("removed Colab's notebook metadata")
    if not nb.cells:
        raise Rejected("the notebook has no cells")
    return nb


# --- which assignment, and rebuilding it on the release -------------------------------------

def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def _locked(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta) and not meta.get("solution")


def likeness(nb, release) -> float:
    """The share of the release's read-only cells that appear unchanged in ``nb``."""
    locked = {_norm(c.source) for c in release.cells if _locked(c) and c.source.strip()}
    present = {_norm(c.source) for c in nb.cells}
    return len(locked & present) / max(1, len(locked))


def rebuild_on_release(nb, release, notes: list[str]):
    """The release, with each answer cell taken from the student's notebook.

    Read-only and test cells always come from the release, so edited or deleted ones are restored.
    Answer cells are matched by nbgrader id; where Colab dropped the metadata, by the read-only
    cells around them and by likeness to the release's stub. Cells the student added are kept after
    the answer cell they followed. What was repaired is appended to ``notes``.
    """
    student_cells = list(nb.cells)
    anchors = anchor_read_only_cells(student_cells, release)
    matched = match_answer_cells(student_cells, release, anchors, notes)
    restored = [grade_id(cell) for r, cell in enumerate(release.cells)
                if _locked(cell) and cell.source.strip() and r not in anchors and cell.metadata["nbgrader"].get("grade")]
    if restored:
        notes.append(f"restored test cell(s) the student had edited or deleted: {', '.join(restored)}")
    added = cells_the_student_added(student_cells, release, anchors, matched)
    return assemble(release, student_cells, matched, added)


def anchor_read_only_cells(student_cells: list, release) -> dict[int, int]:
    """Where each of the release's read-only cells is in the student's notebook, unchanged and in
    order: release index -> student index."""
    anchors, cursor = {}, 0
    student_norm = [_norm(c.source) for c in student_cells]
    for r_index, cell in enumerate(release.cells):
        if _locked(cell) and cell.source.strip():
            target = _norm(cell.source)
            for s_index in range(cursor, len(student_cells)):
                if student_norm[s_index] == target:
                    anchors[r_index] = s_index
                    cursor = s_index + 1
                    break
    return anchors


def match_answer_cells(student_cells: list, release, anchors: dict[int, int], notes: list[str]) -> dict[int, int]:
    """Each release answer cell's cell in the student's notebook: by nbgrader id, else the most alike
    cell between the read-only cells around it. Release index -> student index."""
    release_ids = {grade_id(c) for c in release.cells if "nbgrader" in c.metadata}
    by_id = {}
    for index, cell in enumerate(student_cells):
        if grade_id(cell) in release_ids:
            by_id.setdefault(grade_id(cell), index)
    used, matched, repaired = set(anchors.values()), {}, 0
    for r_index, cell in enumerate(release.cells):
        if not is_answer(cell):
            continue
        if grade_id(cell) in by_id:
            matched[r_index] = by_id[grade_id(cell)]
            continue
        before = max((s for r, s in anchors.items() if r < r_index), default=-1)
        after = min((s for r, s in anchors.items() if r > r_index), default=len(student_cells))
        options = [s for s in range(before + 1, after) if s not in used
                   and student_cells[s].cell_type == cell.cell_type and s not in matched.values()]
        if options:
            matched[r_index] = max(options, key=lambda s: difflib.SequenceMatcher(
                None, cell.source, student_cells[s].source).ratio())
            repaired += 1
    if repaired:
        notes.append(f"re-attached nbgrader metadata to {repaired} answer cell(s) by content and order")
    missing = [grade_id(c) for r, c in enumerate(release.cells) if is_answer(c) and r not in matched]
    if missing:
        notes.append(f"no answer found for {', '.join(missing)}: graded as left blank")
    return matched


def cells_the_student_added(student_cells: list, release, anchors: dict[int, int],
                            matched: dict[int, int]) -> dict[int, list]:
    """The student's own code cells, each to follow the release cell (index; -1: the start) that
    came before it in their notebook."""
    release_ids = {grade_id(c) for c in release.cells if "nbgrader" in c.metadata}
    taken = set(anchors.values()) | set(matched.values())
    owner = sorted((s, r) for r, s in [*anchors.items(), *matched.items()])
    follows = {}
    for s_index, cell in enumerate(student_cells):
        if s_index in taken or cell.cell_type != "code" or not cell.source.strip():
            continue
        if grade_id(cell) in release_ids:
            continue    # a duplicate of a release cell, e.g. a second copy of a test cell
        previous = [r for s, r in owner if s < s_index]
        follows.setdefault(previous[-1] if previous else -1, []).append(cell)
    return follows


def assemble(release, student_cells: list, matched: dict[int, int], added: dict[int, list]):
    """The release's cells in order, answers from the student, the student's own cells in place."""
    rebuilt = nbformat.v4.new_notebook(metadata=release.metadata)
    rebuilt.cells += [nbformat.v4.new_code_cell(extra.source) for extra in added.get(-1, [])]
    for r_index, cell in enumerate(release.cells):
        new = copy.deepcopy(cell)
        if r_index in matched:
            new.source = student_cells[matched[r_index]].source
        rebuilt.cells.append(new)
        rebuilt.cells += [nbformat.v4.new_code_cell(extra.source) for extra in added.get(r_index, [])]
    return nbformat.reads(nbformat.writes(rebuilt, version=4), as_version=4)


def load_release(course: Course, assignment_id: str):
    path = course.release_notebook(assignment_id)
    if not path.exists():
        raise GraderError(f"no release at {path}: run python -m grader release {assignment_id} first")
    return nbformat.read(path, as_version=4)


# --- filing -----------------------------------------------------------------------------------

def existing_timestamp(folder: Path) -> dt.datetime | None:
    try:
        text = (folder / "timestamp.txt").read_text().strip()
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f %Z").replace(tzinfo=dt.timezone.utc)
    except (OSError, ValueError):
        return None


def file_as_submission(course: Course, assignment_id: str, candidate: Candidate, nb) -> list[str]:
    lines = []
    folder = course.submitted_dir / candidate.student_id / assignment_id
    older = existing_timestamp(folder)
    if older is not None and older > candidate.timestamp:
        keep_aside(course, assignment_id, candidate.student_id, candidate.path, candidate.shown_as)
        return [f"{candidate.student_id}: {candidate.shown_as} is older than the submission already collected; kept aside"]
    if older is not None and (folder / f"{assignment_id}.ipynb").exists():
        keep_aside(course, assignment_id, candidate.student_id, folder / f"{assignment_id}.ipynb",
                   f"collected-{older.strftime('%Y%m%dT%H%M%S')}.ipynb")
        lines.append(f"{candidate.student_id}: replaced the earlier submission (kept aside)")
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{assignment_id}.ipynb")
    (folder / "timestamp.txt").write_text(candidate.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    (folder / "collect.json").write_text(json.dumps({"handed_in_as": candidate.shown_as, "notes": candidate.notes}, indent=1))
    return lines


def keep_aside(course: Course, assignment_id: str, student_id: str, path: Path, name: str) -> None:
    aside = course.workdir / "superseded" / assignment_id / student_id
    aside.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, aside / Path(name).name)


def reject(course: Course, assignment_id: str, candidate: Candidate) -> None:
    folder = course.workdir / "rejected" / assignment_id / (candidate.student_id or "unknown")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(candidate.path, folder / Path(candidate.shown_as).name)


def compiled(option: str, regex: str | None) -> re.Pattern | None:
    try:
        return re.compile(regex) if regex else None
    except re.error as err:
        raise GraderError(f"{option} is not a valid regex: {err}") from err


def collect(course: Course, assignment_id: str, path: Path, student_pattern: str | None = None,
            timestamp_pattern: str | None = None) -> list[str]:
    """Collect every notebook under ``path``; returns the report's lines."""
    course.check_assignment(assignment_id)
    pattern = compiled("--student-pattern", student_pattern)
    stamp_pattern = compiled("--timestamp-pattern", timestamp_pattern)
    release = load_release(course, assignment_id)
    others = {other: load_release(course, other) for other in course.assignment_ids()
              if other != assignment_id and course.release_notebook(other).exists()}
    report = []
    with opened(path) as folder:
        candidates, report = find_candidates(folder, pattern, stamp_pattern)
        if not candidates and not report:
            raise GraderError(f"no notebooks found in {path}")
        ready = {}
        for candidate in candidates:
            try:
                nb = read_notebook(candidate.path, candidate.notes)
                score = likeness(nb, release)
                if score < 0.5:
                    best = max(others, key=lambda o: likeness(nb, others[o]), default=None)
                    if best and likeness(nb, others[best]) > score:
                        raise Rejected(f"this is the {best} notebook, not {assignment_id}")
                    raise Rejected(f"does not look like the {assignment_id} notebook "
                                   f"(only {score:.0%} of its read-only cells are there)")
                rebuilt = rebuild_on_release(nb, release, candidate.notes)
            except Rejected as why:
                reject(course, assignment_id, candidate)
                report.append(f"{candidate.shown_as}: not collected: {why} (kept in rejected/)")
                continue
            earlier = ready.get(candidate.student_id)
            if earlier is not None:
                newer, older = sorted([earlier, (candidate, rebuilt)], key=lambda x: x[0].timestamp, reverse=True)
                keep_aside(course, assignment_id, older[0].student_id, older[0].path, older[0].shown_as)
                report.append(f"{candidate.student_id}: handed in {older[0].shown_as} and {newer[0].shown_as}; "
                              f"the later one, {newer[0].shown_as}, counts (the other is kept aside)")
                ready[candidate.student_id] = newer
            else:
                ready[candidate.student_id] = (candidate, rebuilt)
        for student_id, (candidate, rebuilt) in sorted(ready.items()):
            report += file_as_submission(course, assignment_id, candidate, rebuilt)
            for note in candidate.notes:
                report.append(f"{student_id} ({candidate.shown_as}): {note}")
    report.append(f"collected {len(ready)} submission(s) of {assignment_id}")
    log = course.workdir / "reports" / f"{assignment_id}-collect.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "a") as f:
        f.write(f"# collect {path} at {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC\n")
        f.write("\n".join(report) + "\n")
    return report
