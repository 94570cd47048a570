"""While it is graded, a student's kernel cannot read the solutions, the tests, the git history,
the gradebook or other students' notebooks, and cannot write to any of them."""
import sys

import nbformat
import pytest

from grader.execute import filesystem_isolation_available
from tests.conftest import REPO, run
from tests.studentwork import graded_cells, student_submission

pytestmark = [pytest.mark.slow,    # full tier: kernels through the real grader (see tests/conftest.py)
              pytest.mark.skipif(not filesystem_isolation_available(),
                                 reason="mount namespaces (unshare --mount) are not available here")]
GRADER = [sys.executable, "-m", "grader"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sandbox")
    workdir = tmp / "work"
    secrets = {
        "solution": REPO / "solutions" / "attention" / "attention.ipynb",
        "mutants": REPO / "tests" / "mutants" / "attention.py",
        "git": REPO / ".git" / "HEAD",
        "gradebook": workdir / "gradebook.db",
        "other student": workdir / "submitted" / "victim" / "attention" / "attention.ipynb",
    }
    snoop = ("import json\nfound, written = {}, []\n"
             f"for name, path in {{k: str(v) for k, v in {secrets!r}.items()}}.items():\n".replace("PosixPath", "")
             + "    try:\n        found[name] = len(open(path, 'rb').read())\n    except OSError:\n        pass\n"
             "    try:\n        open(path, 'ab').write(b'tampered')\n        written.append(name)\n    except OSError:\n        pass\n"
             "print('FOUND', json.dumps(found), 'WROTE', json.dumps(written))")
    snoop = snoop.replace("{'solution': ", "{'solution': ")
    cheat = student_submission("attention")
    cheat.cells.insert(2, nbformat.v4.new_code_cell(snoop))
    folder = tmp / "in"
    folder.mkdir()
    nbformat.write(cheat, folder / "snoop.ipynb")
    nbformat.write(student_submission("attention"), folder / "victim.ipynb")
    common = [*GRADER, "--workdir", str(workdir)]
    run([*common, "collect", "attention", str(folder)])
    before = {name: path.read_bytes() for name, path in secrets.items() if path.exists() and name != "gradebook"}
    run([*common, "autograde", "attention", "--no-canary", "--jobs", "2", "--device", "cpu"], timeout=900)
    nb = nbformat.read(workdir / "autograded" / "snoop" / "attention" / "attention.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if "FOUND" in c.source for o in c.get("outputs", []))
    return dict(printed=printed, before=before, secrets=secrets, cells=graded_cells(workdir, "attention"))


def test_the_kernel_reads_no_secret(graded):
    assert graded["printed"].startswith("FOUND {}"), graded["printed"]


def test_the_kernel_writes_nothing_outside_its_folder(graded):
    for name, content in graded["before"].items():
        assert graded["secrets"][name].read_bytes() == content, f"{name} was changed"
    assert graded["cells"]["victim"] and sum(s for s, _ in graded["cells"]["victim"].values()) == 15


def test_grading_still_works_inside_the_sandbox(graded):
    assert sum(s for s, _ in graded["cells"]["snoop"].values()) == 15
