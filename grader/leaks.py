"""What counts as a secret, and finding it in text a student can read.

A secret is a solution region or a hidden-test region of a source notebook. Its markers are
secrets, and so is each of its lines long enough to be telling, unless the line also appears
outside those regions (in the spec, a visible check, the release), in that notebook or, for the
course as a whole, in any assignment's.
"""
import re
from pathlib import Path

import nbformat

from grader.notebooks import MARKERS, REGIONS
TAG = re.compile(r"<[^>]+>")


def secret_lines(source_notebook: Path, kinds=("solution", "hidden"), min_length: int = 20) -> set[str]:
    secret, public_text = _split(source_notebook, kinds, min_length)
    return {line for line in secret if line not in public_text}


def _split(source_notebook: Path, kinds, min_length: int) -> tuple[set[str], str]:
    """The telling lines of the notebook's secret regions, and all of its text outside them."""
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
    return secret, "\n".join(public)


def course_secrets(course) -> set[str]:
    """The secret lines of every assignment of ``course`` (a ``grader.course.Course``), less those
    that any assignment shows in the open: ``with torch.no_grad():`` in one notebook's hidden tests
    tells nothing when another notebook's release prints it for every student."""
    return secret_lines_of_notebooks([course.source_notebook(a) for a in course.assignment_ids()])


def secret_lines_of_notebooks(source_notebooks: list[Path], kinds=("solution", "hidden"), min_length: int = 20) -> set[str]:
    secret, public = set(), []
    for path in source_notebooks:
        lines, public_text = _split(path, kinds, min_length)
        secret |= lines
        public.append(public_text)
    public_text = "\n".join(public)
    return {line for line in secret if line not in public_text}


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
