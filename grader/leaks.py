"""What counts as a secret, and finding it in text a student can read.

A secret is a solution region or a hidden-test region of a source notebook. Its markers are
secrets, and so is each of its lines long enough to be telling, unless the line also appears
outside those regions (in the spec, a visible check, the release).
"""
import re
from pathlib import Path

import nbformat

from grader.notebooks import MARKERS, REGIONS
TAG = re.compile(r"<[^>]+>")


def secret_lines(source_notebook: Path, kinds=("solution", "hidden"), min_length: int = 20) -> set[str]:
    nb = nbformat.read(source_notebook, as_version=4)
    secret, public = set(), []
    for cell in nb.cells:
        outside = cell.source
        for kind in kinds:
            start, end = REGIONS[kind]
            for chunk in cell.source.split(start)[1:]:
                region = chunk.split(end)[0]
                secret |= {line.strip() for line in region.splitlines() if len(line.strip()) >= min_length}
                outside = outside.replace(region, "")
        public.append(outside)
    public_text = "\n".join(public)
    return {line for line in secret if line not in public_text}


def course_secrets(course) -> set[str]:
    """The secret lines of every assignment of ``course`` (a ``grader.course.Course``)."""
    lines = set()
    for assignment_id in course.assignment_ids():
        lines |= secret_lines(course.source_notebook(assignment_id))
    return lines


def find_leaks(text: str, secrets: set[str]) -> list[str]:
    """Markers and secret lines in ``text`` (HTML tags and entities are looked through)."""
    import html

    found = [marker for marker in MARKERS if marker in text]
    readable = html.unescape(TAG.sub("", text)) if "<" in text else text
    found += sorted(line for line in secrets if line in text or line in readable)
    return found


def scan_tree(root: Path, secrets: set[str]) -> list[str]:
    """Every leak under ``root``, as 'path: what'."""
    problems = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.stat().st_size > 20_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue          # binary files: checkpoints, images
        for leak in find_leaks(text, secrets):
            problems.append(f"{path.relative_to(root)}: {leak[:100]}")
    return problems
