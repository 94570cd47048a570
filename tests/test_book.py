"""The book builds offline with warnings as errors; assignment pages carry a Colab button to the
released notebook; no page, source copy or search index holds a solution or a hidden test."""
import html as html_lib
import re

import pytest
import yaml

from grader.notebooks import MARKERS
from grader.course import Course
from grader.leaks import course_secrets
from tests.conftest import ASSIGNMENTS, REPO

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

CONFIG = yaml.safe_load((REPO / "_config.yml").read_text())


def published_files(html_dir):
    """Everything the built site serves that holds text."""
    return [p for p in html_dir.rglob("*") if p.is_file() and p.suffix in {".html", ".js", ".txt", ".ipynb", ".md", ".json"}
            and "_static" not in p.parts]


@pytest.mark.parametrize("assignment_id", ASSIGNMENTS)
def test_assignment_page_has_a_colab_button_to_the_release(built_book, assignment_id):
    page = built_book / "assignments" / assignment_id / f"{assignment_id}.html"
    assert page.exists(), f"{assignment_id} is not in the book (add it to _toc.yml)"
    repo = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    colab = (f"https://colab.research.google.com/github/{repo}/blob/{CONFIG['repository']['branch']}"
             f"/assignments/{assignment_id}/{assignment_id}.ipynb")
    assert colab in page.read_text()


def test_intro_and_week1_render(built_book):
    intro = (built_book / "book" / "intro.html").read_text()
    assert "As a student" in intro and "As an instructor" in intro
    week1 = (built_book / "book" / "week01" / "index.html").read_text()
    assert "assignments/attention/attention.html" in week1
    assert "https://arxiv.org/abs/1706.03762" in week1


def test_private_folders_are_never_rendered(built_book):
    for folder in ("solutions", "grader", "tests"):
        assert not (built_book / folder).exists()
        assert not (built_book / "_sources" / folder).exists()


def test_no_solution_or_hidden_test_anywhere_in_the_site(built_book):
    # The grader's own definition, course-wide (as `publish` checks): a line any release shows is no secret.
    secrets = course_secrets(Course(root=REPO))
    assert secrets
    for path in published_files(built_book):
        raw = path.read_text(errors="replace")
        for marker in MARKERS:
            assert marker not in raw, f"{path.relative_to(built_book)} shows {marker!r}"
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", raw))
        leaked = [line for line in secrets if line in text]
        assert not leaked, f"{path.relative_to(built_book)} quotes solution or hidden-test lines: {leaked[:3]}"


def test_every_formula_renders_as_math(built_book):
    """MyST reads `$$ ... $$` as display math only as a block of its own: written straight after a line
    of text, or inside a list item's sentence, it reaches the page as a literal `$$` and raw LaTeX.
    Put a blank line before and after it."""
    broken = []
    for page in sorted(built_book.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        body = page.read_text(encoding="utf-8")
        body = re.sub(r'<(span|div) class="math[^"]*">.*?</\1>', "", body, flags=re.S)
        body = re.sub(r"<(pre|code|script|style|textarea)[^>]*>.*?</\1>", "", body, flags=re.S)
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", body))
        if "$$" in text:
            i = text.index("$$")
            broken.append(f"{page.relative_to(built_book)}: ...{text[max(0, i - 60):i + 20]!r}")
    assert not broken, broken
