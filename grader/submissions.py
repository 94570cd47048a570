"""Finding handed-in notebooks in a folder or a zip, and filing them where nbgrader expects them."""
import datetime as dt
import re
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.course import Course, GraderError

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}


@dataclass
class Found:
    student_id: str
    path: Path


@contextmanager
def opened(path: Path):
    """Yield a folder holding the submissions: ``path`` itself, or a zip's contents extracted safely."""
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
        archive.extractall(root)
        yield root


def find_submissions(folder: Path) -> tuple[list[Found], list[str]]:
    """``<student_id>.ipynb`` at the top, or ``<student_id>/<anything>.ipynb`` one level down."""
    found, problems = [], []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if IGNORED_PARTS & set(rel.parts) or path.name.startswith("._"):
            continue
        if len(rel.parts) == 1:
            student = path.stem
        elif len(rel.parts) == 2:
            student = rel.parts[0]
        else:
            problems.append(f"{rel}: skipped, nested too deep to tell whose it is "
                            "(expected <student_id>.ipynb or <student_id>/<notebook>.ipynb)")
            continue
        if not STUDENT_ID.match(student):
            problems.append(f"{rel}: skipped, {student!r} is not a usable student id")
            continue
        found.append(Found(student, path))
    return found, problems


def file_submission(course: Course, assignment_id: str, item: Found) -> Path:
    """Copy one notebook to submitted/<student>/<assignment>/<assignment>.ipynb, with its timestamp."""
    try:
        nbformat.read(item.path, as_version=4)
    except Exception as err:  # nbformat raises many kinds; every one means "not a notebook we can grade"
        raise GraderError(f"{item.path.name}: not a readable notebook ({type(err).__name__}: {err})") from err
    dest_dir = course.submitted_dir / item.student_id / assignment_id
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{assignment_id}.ipynb"
    shutil.copyfile(item.path, dest)
    stamp = dt.datetime.fromtimestamp(item.path.stat().st_mtime, tz=dt.timezone.utc)
    (dest_dir / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    return dest
