"""`python -m grader publish DEST` writes the student-facing tree and refuses to finish when any
solution or hidden test would go with it."""
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

PRIVATE = ["solutions", "grader", "tests", "benchmarks", "scripts", ".ci", ".git"]


def copy_of_repo(dest):
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(".git", "_build", "work", "__pycache__", "*.egg-info"))
    return dest


def publish(repo, dest, *extra):
    return subprocess.run([sys.executable, "-m", "grader", "publish", str(dest), *extra], cwd=repo,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    dest = tmp_path_factory.mktemp("public") / "course"
    proc = publish(REPO, dest)
    assert proc.returncode == 0, proc.stderr
    return dest


def test_the_public_tree_has_what_students_need(published):
    for name in ("book", "assignments", "llmcourse", "_config.yml", "_toc.yml", "pyproject.toml", "README.md"):
        assert (published / name).exists(), name
    assert (published / "assignments" / "attention" / "attention.ipynb").exists()
    assert "Doing an assignment" in (published / "README.md").read_text()


def test_the_public_tree_has_nothing_private(published):
    for name in PRIVATE:
        assert not (published / name).exists(), name
    assert not list(published.rglob("gradebook.db"))
    text = "\n".join(p.read_text(errors="ignore") for p in published.rglob("*") if p.is_file())
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text


@pytest.mark.parametrize("plant", ["marker", "solution line", "hidden test line"])
def test_a_planted_leak_is_refused_and_nothing_is_published(tmp_path, plant):
    repo = copy_of_repo(tmp_path / "private")
    secret = {"marker": "### BEGIN HIDDEN TESTS",
              "solution line": "return q @ k.transpose(-2, -1) / math.sqrt(d_head)",
              "hidden test line": "_expected = torch.einsum(\"...id,...jd->...ij\", _q.double(), _k.double()) / math.sqrt(_shape_q[-1])",
              }[plant]
    page = repo / "book" / "week01" / "index.md"
    page.write_text(page.read_text() + f"\n\n```python\n{secret}\n```\n")
    dest = tmp_path / "public"
    proc = publish(repo, dest)
    assert proc.returncode == 1 and "refusing to publish" in proc.stderr, proc.stderr
    assert "book/week01/index.md" in proc.stderr
    assert not dest.exists() or not any(dest.iterdir())


def test_publish_will_not_overwrite_without_force(tmp_path):
    dest = tmp_path / "public"
    dest.mkdir()
    (dest / "something.txt").write_text("keep me")
    proc = publish(REPO, dest)
    assert proc.returncode == 1 and "not empty" in proc.stderr
    assert (dest / "something.txt").read_text() == "keep me"
