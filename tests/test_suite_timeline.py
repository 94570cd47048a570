"""benchmarks/suite_timeline.py: the figures it prints come from the timeline the test hooks write."""
import json
import os
import subprocess
import sys

from tests.conftest import REPO, load_script

timeline = load_script("benchmarks/suite_timeline.py")


def test_the_summary_adds_up_each_workers_time_and_each_assignments_share():
    lines = [
        {"worker": "gw0", "test": "tests/test_grading.py::test_x[gpt]", "group": "test_grading-gpt", "start": 0, "end": 40},
        {"worker": "gw0", "test": "tests/test_book.py::test_page[gpt]", "group": "book", "start": 40, "end": 100},
        {"worker": "gw1", "test": "tests/test_wrong_versions.py::test_y[attention]", "group": "test_wrong_versions-attention",
         "start": 0, "end": 10},
        {"worker": "gw1", "test": "tests/test_cli.py::test_z", "group": None, "start": 10, "end": 30},
    ]
    text = timeline.summary(lines)
    assert "first start to last end: 100 s" in text
    assert "gw0: 2 tests, busy 100 s, idle at the end 0 s" in text
    assert "gw1: 2 tests, busy 30 s, idle at the end 70 s" in text
    assert text.index("60.0  book") < text.index("40.0  test_grading-gpt") < text.index("20.0  tests/test_cli.py")
    costs = timeline.per_assignment(lines)
    assert costs["gpt"] == 40 and costs["attention"] == 10    # the book's share is left out
    assert "CPU time" not in text      # these lines carry no CPU figures


def test_the_summary_adds_up_cpu_time_where_the_lines_have_it():
    lines = [
        {"worker": "gw0", "test": "tests/test_grading.py::test_x[gpt]", "group": "test_grading-gpt", "start": 0, "end": 40, "cpu": 30},
        {"worker": "gw1", "test": "tests/test_cli.py::test_z", "group": None, "start": 0, "end": 20, "cpu": 6},
    ]
    text = timeline.summary(lines)
    assert "CPU time of the tests and of the processes they started: 36 s (18 s a worker)" in text
    assert "40.0  test_grading-gpt  (CPU 30.0 s)" in text
    assert timeline.per_assignment(lines, key="cpu")["gpt"] == 30


def test_the_hooks_write_one_line_per_test(tmp_path):
    out = tmp_path / "timeline.jsonl"
    # A pytest of its own, not a worker of this run (whose name it would otherwise inherit).
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
                           "tests/test_grader_structure.py"], cwd=REPO, capture_output=True, text=True,
                          env={**env, "COURSE_TIMELINE": str(out)}, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:]
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert lines and all(line["worker"] == "main" and line["end"] >= line["start"] and line["cpu"] >= 0 for line in lines)
    assert all(line["test"].startswith("tests/test_grader_structure.py::") for line in lines)
