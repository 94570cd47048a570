"""A fault of the environment stops grading before anyone is scored: data the kernels cannot reach
(graded kernels have no network), and anything else that keeps the solution itself from full marks
(the canary). Read-only cells that fail in a student's kernel are named in the report.

The other half, a fresh cache that finds the data in $LLMCOURSE_DATA_DIR, is how tests/test_grading.py
grades every class; its attention class passes the canary first."""
import csv
import shutil
import sys

import pytest
import torch

from grader.provision import required_datasets
from tests.conftest import REPO, run

GRADER = [sys.executable, "-m", "grader"]


def a_class_holding_the_solution(tmp_path, assignment_id):
    """A work folder with one collected submission: the source notebook, handed in by 'alice'."""
    handed_in = tmp_path / "in"
    handed_in.mkdir()
    shutil.copyfile(REPO / "solutions" / assignment_id / f"{assignment_id}.ipynb", handed_in / "alice.ipynb")
    common = [*GRADER, "--workdir", str(tmp_path / "work")]
    run([*common, "collect", assignment_id, str(handed_in)])
    return common


def nothing_was_scored(workdir):
    return not (workdir / "gradebook.db").exists() and not (workdir / "autograded").exists()


def report_rows(workdir, assignment_id):
    with open(workdir / "reports" / f"{assignment_id}.csv") as f:
        return {row["student_id"]: row for row in csv.DictReader(f)}


def test_each_assignment_names_the_data_its_kernels_read():
    needs = {a: [r.filename for r in required_datasets(REPO / "solutions" / a / f"{a}.ipynb")]
             for a in ("attention", "gpt", "tokenizer")}
    assert needs == {"attention": [], "gpt": ["tinyshakespeare.txt"], "tokenizer": ["tinyshakespeare.txt"]}


def test_missing_data_stops_grading_before_any_kernel_and_says_how_to_provide_it(tmp_path):
    common = a_class_holding_the_solution(tmp_path, "tokenizer")
    # A fresh machine: an empty course cache, no data folder, and (here) no download either.
    fresh = {"LLMCOURSE_CACHE": str(tmp_path / "cache"), "LLMCOURSE_DATA_DIR": "", "LLMCOURSE_OFFLINE": "1"}
    proc = run([*common, "autograde", "tokenizer"], check=False, env=fresh, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    message = proc.stderr
    assert "tokenizer needs tinyshakespeare.txt" in message
    assert str(tmp_path / "cache") in message and "LLMCOURSE_DATA_DIR" in message
    assert "Nothing was graded" in message and "Traceback" not in message
    assert nothing_was_scored(tmp_path / "work")


@pytest.mark.slow
def test_the_canary_stops_a_broken_environment_and_names_the_failing_tests(tmp_path):
    common = a_class_holding_the_solution(tmp_path, "attention")
    # A stray device setting: tensors on PyTorch's "meta" device have shapes but no values, so some
    # tests of the solution fail: every student would be marked down in the same way.
    proc = run([*common, "autograde", "attention"], check=False, env={"LLMCOURSE_DEVICE": "meta"}, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "canary: attention: the solution earns" in proc.stderr and "/ 15; failed: test_" in proc.stderr
    assert "nobody was graded" in proc.stderr and "--no-canary" in proc.stderr
    assert nothing_was_scored(tmp_path / "work")


@pytest.mark.slow
@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_failed_setup_cell_is_named_in_the_report(tmp_path):
    common = a_class_holding_the_solution(tmp_path, "attention")
    # The setup cell asks for CUDA where there is none; the canary would stop this, so skip it.
    out = run([*common, "autograde", "attention", "--no-canary"], env={"LLMCOURSE_DEVICE": "cuda"}, timeout=300).stdout
    assert "alice: 0 / 15" in out
    notes = report_rows(tmp_path / "work", "attention")["alice"]["notes"]
    assert "read-only cells failed: setup (RuntimeError: device 'cuda' was asked for, but CUDA is not available" in notes
