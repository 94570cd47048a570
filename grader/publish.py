"""``python -m grader publish DEST``: the student-facing tree, and nothing else.

The instructors' repository (private) holds everything; the public repository is the output of
this command: the book's sources, the released assignments, the course package with its data, the
packaging files, and a README for students. Never the solutions, the grader, the tests, the
benchmarks or the scripts. The tree is checked for leaks (markers, hidden-test lines, any line of a
solution region) before it is moved into place; one leak and nothing is published.
"""
import shutil
import tempfile
from pathlib import Path

from grader.course import Course, GraderError
from grader.leaks import course_secrets, scan_tree

PUBLISHED = ["book", "assignments", "llmcourse", "_config.yml", "_toc.yml", "pyproject.toml", "requirements.txt"]
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "_build", ".ipynb_checkpoints", "*.egg-info", ".jupyter_cache")

STUDENT_README = """# {title}

The public home of the course: the book, the assignments and the small `llmcourse` package the
notebooks import. The book is built from this repository with `jupyter-book build .`.

## Doing an assignment

- **On Colab:** open the assignment's page in the book and choose *Colab* under the rocket icon,
  or open `assignments/<id>/<id>.ipynb` from this repository in Colab. The first cell installs
  the course package; nothing else is needed.
- **Locally:** `python -m pip install -r requirements.txt`, then
  `jupyter lab assignments/attention/attention.ipynb`.

Fill in the cells that say `YOUR CODE HERE`, run the visible checks after each exercise, keep the
function names and signatures as given, then download the notebook (*File -> Download -> .ipynb*)
and hand it in as your course asks. Hidden tests grade it; the feedback you get back shows each
test's name, its points and a message.
"""


def publish(course: Course, dest: Path, force: bool = False) -> list[str]:
    dest = dest.resolve()
    if dest == course.root or course.root in dest.parents:
        raise GraderError(f"{dest} is inside the course repository; publish somewhere else")
    if dest.exists() and any(dest.iterdir()) and not force:
        raise GraderError(f"{dest} is not empty (use --force to replace what is published there)")
    secrets = course_secrets(course)
    with tempfile.TemporaryDirectory(prefix="grader-publish-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        for name in PUBLISHED:
            source = course.root / name
            if source.is_dir():
                shutil.copytree(source, tree / name, ignore=IGNORED)
            elif source.exists():
                shutil.copyfile(source, tree / name)
        title = "Transformers and LLMs: a reading-group course"
        (tree / "README.md").write_text(STUDENT_README.format(title=title))
        leaks = scan_tree(tree, secrets)
        if leaks:
            raise GraderError("refusing to publish, secrets found: " + "; ".join(leaks[:5])
                              + (f" (and {len(leaks) - 5} more)" if len(leaks) > 5 else ""))
        if dest.exists():
            for child in dest.iterdir():
                if child.name == ".git":
                    continue      # publishing into a clone of the public repo keeps its history
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        dest.mkdir(parents=True, exist_ok=True)
        for child in tree.iterdir():
            shutil.move(str(child), dest / child.name)
    return sorted(p.name for p in dest.iterdir() if p.name != ".git")
