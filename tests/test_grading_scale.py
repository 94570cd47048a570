"""A big class: sharded grading merged without losing or duplicating a grade (also when students hand
in again), a run killed midway finished by the next one, re-runs that change nothing, and
resubmissions graded again without touching anyone else's grade."""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from tests.conftest import REPO, run
from tests.studentwork import graded_cells, student_submission

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

GRADER = [sys.executable, "-m", "grader"]
CLASS = {"s1": True, "s2": False, "s3": True}    # student -> hands in a correct answer
AUTOGRADE = ["autograde", "attention", "--no-canary", "--device", "cpu"]


@pytest.fixture
def class_folder(tmp_path):
    return hand_in(tmp_path / "in", CLASS)


def hand_in(folder, correct):
    folder.mkdir()
    for student, right in correct.items():
        nbformat.write(student_submission("attention", filled=right), folder / f"{student}.ipynb")
    return folder


def expected_scores(correct=CLASS):
    return {s: (15.0 if right else 0.0) for s, right in correct.items()}


def scores(workdir):
    return {s: sum(v for v, _ in cells.values()) for s, cells in graded_cells(workdir, "attention").items()}


def test_a_killed_run_is_finished_by_the_next_and_regrades_keep_every_new_grade(tmp_path, class_folder):
    """Killed midway, the next run grades only who is left; a run with nothing new changes nothing;
    students who hand in again are graded again, and nobody else's grade moves."""
    workdir = tmp_path / "work"
    common = [*GRADER, "--workdir", str(workdir)]
    run([*common, "collect", "attention", str(class_folder)])
    proc = subprocess.Popen([*common, *AUTOGRADE, "--jobs", "1"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not list((workdir / "autograded").glob("*/attention/.grader-done")):
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)          # the grader and its worker, mid-class
    proc.wait()
    done_before = {p.parent.parent.name for p in (workdir / "autograded").glob("*/attention/.grader-done")}
    assert 1 <= len(done_before) < len(CLASS)

    out = run([*common, *AUTOGRADE, "--jobs", "2"]).stdout
    assert f"{len(done_before)} already graded" in out
    assert scores(workdir) == expected_scores()

    again = run([*common, *AUTOGRADE, "--jobs", "2"]).stdout
    assert f"autograded 0 of 0 submission(s) of attention; {len(CLASS)} already graded" in again

    # s1 and s2 hand in again, each the opposite of before; s3 does not.
    resubmitted = {"s1": False, "s2": True}
    run([*common, "collect", "attention", str(hand_in(tmp_path / "again", resubmitted))])
    out = run([*common, *AUTOGRADE, "--jobs", "2"]).stdout
    assert "autograded 2 of 2 submission(s) of attention; 1 already graded" in out, out
    assert scores(workdir) == expected_scores({**CLASS, **resubmitted})

    # --force grades again whoever it is asked to, with the same result.
    forced = run([*common, *AUTOGRADE, "--jobs", "1", "--force", "--student", "s3"]).stdout
    assert "autograded 1 of 1" in forced
    assert scores(workdir) == expected_scores({**CLASS, **resubmitted})


def test_sharded_regrading_of_resubmissions_keeps_every_new_grade(tmp_path):
    """Two students, in different shards, hand in again, each the opposite of before. Worker and
    shard gradebooks start as copies of the class gradebook; merged whole, one put the other
    student's old grade back over its new one. Each student is graded in exactly one shard,
    merging twice changes nothing, and the export holds each student once."""
    common = [*GRADER, "--workdir", str(tmp_path / "work")]
    for round_, correct in enumerate([{"s1": True, "s3": False}, {"s1": False, "s3": True}]):
        run([*common, "collect", "attention", str(hand_in(tmp_path / f"round{round_}", correct))])
        shutil.rmtree(tmp_path / "work" / "shards", ignore_errors=True)    # a new round, new shards
        graded = []
        for shard in ("1/2", "2/2"):     # s1 is in shard 1 of 2, s3 in shard 2
            out = run([*common, *AUTOGRADE, "--jobs", "1", "--shard", shard]).stdout
            graded += [line.split(":")[0] for line in out.splitlines() if " / " in line]
        assert sorted(graded) == sorted(correct), "every student is in exactly one shard"
        run([*common, "merge"])
        run([*common, "merge"])                  # merging twice changes nothing
        assert scores(tmp_path / "work") == expected_scores(correct)
    run([*common, "export", "--out", str(tmp_path / "grades.csv")])
    with open(tmp_path / "grades.csv") as f:
        assert sorted(r["student_id"] for r in csv.DictReader(f)) == ["s1", "s3"]


def test_parallel_kernels_share_the_cores_instead_of_each_taking_all(monkeypatch):
    from grader.autograde import worker_environment

    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("grader.autograde.usable_cpus", lambda: 8)
    assert worker_environment(2)["OMP_NUM_THREADS"] == "4"
    assert worker_environment(8)["MKL_NUM_THREADS"] == "1"
    assert worker_environment(16)["OPENBLAS_NUM_THREADS"] == "1"    # never zero threads
    assert worker_environment(1)["OMP_NUM_THREADS"] == "8"
    monkeypatch.setenv("OMP_NUM_THREADS", "3")                      # the instructor's choice wins
    assert worker_environment(2)["OMP_NUM_THREADS"] == "3"
