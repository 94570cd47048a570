"""The instructor CLI: wrong arguments and missing paths get one line and a non-zero exit.

The commands run in this process (``grader.cli.main``), which is what ``python -m grader`` calls;
one test runs the real ``python -m grader`` to show the two agree."""
import contextlib
import io
import subprocess
import sys
import zipfile
from types import SimpleNamespace

import nbformat
import pytest

from grader.cli import main
from tests.conftest import REPO
from tests.studentwork import student_submission


def grader(tmp_path, *args):
    """Run a command as ``python -m grader --workdir <tmp>/work ARGS`` would: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--workdir", str(tmp_path / "work"), *args])
        except SystemExit as exit_:    # argparse's own errors
            code = exit_.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_python_dash_m_grader_is_the_same_command_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grader", "--workdir", str(tmp_path / "work"), "merge"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 1 and proc.stderr.strip().splitlines() == [grader(tmp_path, "merge").stderr.strip()]


@pytest.mark.parametrize("args, says", [
    (["frobnicate"], "invalid choice"),
    (["collect", "attention"], "required"),
    (["collect", "no-such-assignment", "."], "unknown assignment"),
    (["collect", "attention", "/no/such/folder"], "no such file or directory"),
    (["autograde", "attention"], "nothing to grade"),
    (["autograde", "attention", "--timeout", "soon"], "invalid int value"),
    (["feedback", "attention"], "no autograded submissions"),
    (["export", "--out", "grades.csv"], "no gradebook"),
    (["release", "no-such-assignment"], "unknown assignment"),
    (["autograde", "attention", "--shard", "3/2"], "i must be between 1 and n"),
    (["autograde", "attention", "--shard", "half"], "--shard wants i/n"),
    (["merge"], "no shard gradebooks"),
    (["stats", "attention"], "no gradebook"),
    (["stats", "no-such-assignment"], "unknown assignment"),
    (["collect", "attention", ".", "--student-pattern", "(unclosed"], "not a valid regex"),
])
def test_bad_input_gets_one_line_and_nonzero_exit(tmp_path, args, says):
    proc = grader(tmp_path, *args)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], proc.stderr


def test_collect_reads_a_zip_in_both_layouts_and_reports_bad_files(tmp_path):
    nb = nbformat.writes(student_submission("attention"))
    archive = tmp_path / "lms-export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("alice.ipynb", nb)                      # <student_id>.ipynb
        z.writestr("bob/attention-final.ipynb", nb)         # <student_id>/<anything>.ipynb
        z.writestr("carol.ipynb", "{ this is not json")     # reported, not fatal
        z.writestr("__MACOSX/._alice.ipynb", "junk")
    proc = grader(tmp_path, "collect", "attention", str(archive))
    assert proc.returncode == 0, proc.stderr
    submitted = tmp_path / "work" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["alice", "bob"]
    assert (submitted / "bob" / "attention" / "attention.ipynb").exists()
    assert "carol" in proc.stdout and "invalid JSON" in proc.stdout


def test_collect_refuses_a_zip_that_escapes(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escaped.ipynb", "{}")
    proc = grader(tmp_path, "collect", "attention", str(archive))
    assert proc.returncode != 0 and "outside the archive" in proc.stderr
    assert not (tmp_path / "escaped.ipynb").exists()
