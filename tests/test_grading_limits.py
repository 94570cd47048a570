"""One submission can only hurt itself: infinite loops, os._exit, sys.exit, segfaults, memory bombs
and network access cost at most the tests they touch, and stderr noise costs nothing."""
import os
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

from grader.execute import network_isolation_available
from tests.conftest import REPO, run
from tests.studentwork import graded_cells, student_submission

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

GRADER = [sys.executable, "-m", "grader"]


def insert_after(nb, grade_id, *sources):
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    for offset, source in enumerate(sources, start=1):
        nb.cells.insert(index + offset, nbformat.v4.new_code_cell(source))
    return nb


def replace_answer(nb, grade_id, old, new):
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return nb


@pytest.fixture(scope="module")
def listener():
    """A server on loopback that counts the connections a graded notebook manages to make."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted = []

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass
    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    port, accepted = listener
    tmp = tmp_path_factory.mktemp("limits")
    handed_in = tmp / "in"
    handed_in.mkdir()

    faults = student_submission("attention")
    replace_answer(faults, "attention_scores", "d_head = q.shape[-1]",
                   "import sys, warnings\n    warnings.warn('this API is deprecated')\n"
                   "    print('noise on stderr', file=sys.stderr)\n    d_head = q.shape[-1]")
    insert_after(faults, "test_attention_scores", "import os\nos._exit(3)")
    insert_after(faults, "test_causal_mask", "while True:\n    pass")
    insert_after(faults, "test_masked_softmax", "hog = bytearray(2**40)")
    insert_after(faults, "test_sdpa", "import sys\nsys.exit(1)")
    insert_after(faults, "test_mhsa_causal",
                 "import socket\ntry:\n"
                 f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n    print('NETWORK-REACHED')\n"
                 "except OSError as err:\n    print('no network:', err)",
                 "import ctypes\nctypes.string_at(0)")
    # After the last test: a slow memory bomb (the watchdog's case).
    insert_after(faults, "test_mhsa_flag", "hog = [bytearray(2**27) for _ in range(10_000)]")
    nbformat.write(faults, handed_in / "faults.ipynb")

    crashing_answer = student_submission("attention")
    replace_answer(crashing_answer, "causal_mask", "return torch.ones", "import os; os._exit(1)\n    return torch.ones")
    nbformat.write(crashing_answer, handed_in / "crashing-answer.ipynb")

    slow = insert_after(student_submission("attention"), "test_causal_mask", *["import time\ntime.sleep(8)"] * 4)
    slow_in = tmp / "slow-in"
    slow_in.mkdir()
    nbformat.write(slow, slow_in / "slow.ipynb")

    # The slow student sleeps in its own class, graded beside the faults, so the two waits overlap.
    workdir, slow_workdir = tmp / "work", tmp / "slow-work"
    common = [*GRADER, "--workdir", str(workdir)]
    slow_common = [*GRADER, "--workdir", str(slow_workdir)]
    run([*common, "collect", "attention", str(handed_in)])
    run([*slow_common, "collect", "attention", str(slow_in)])
    # The grader's own temporary folders go here, so the test can see that none is left behind.
    scratch = tmp / "tmpdir"
    scratch.mkdir()
    limits = ["--timeout", "10", "--memory-mb", "1500", "--device", "cpu"]
    slow_run = subprocess.Popen([*slow_common, "autograde", "attention", "--no-canary", "--jobs", "1", "--notebook-timeout", "30", *limits],
                                cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "TMPDIR": str(scratch)})
    try:
        proc = run([*common, "autograde", "attention", "--no-canary", "--student", "faults", "--student", "crashing-answer",
                    "--jobs", "2", "--notebook-timeout", "400", *limits], timeout=900,
                   env={"TMPDIR": str(scratch)})
        slow_log, _ = slow_run.communicate(timeout=900)
    finally:
        slow_run.kill()
    assert slow_run.returncode == 0, slow_log
    cells = {**graded_cells(workdir, "attention"), **graded_cells(slow_workdir, "attention")}
    return dict(cells=cells, workdir=workdir, log=proc.stdout + slow_log,
                accepted=accepted, scratch=scratch)


def total(cells):
    return sum(s for s, _ in cells.values()), sum(m for _, m in cells.values())


def test_faults_outside_the_answers_cost_nothing(graded):
    score, max_score = total(graded["cells"]["faults"])
    assert score == max_score, f"{graded['cells']['faults']}\n{graded['log']}"


def test_the_report_says_what_the_limits_did(graded):
    line = next(l for l in graded["log"].splitlines() if l.startswith("faults:"))
    assert "KernelDied" in line and "CellTimeoutError" in line, line
    assert "MemoryError" in line and "memory limit" in line, line
    report = (graded["workdir"] / "reports" / "attention.csv").read_text()
    assert "KernelDied" in report


def test_stats_count_the_limits_the_class_hit(graded):
    out = run([*GRADER, "--workdir", str(graded["workdir"]), "stats", "attention"]).stdout
    line = next(l for l in out.splitlines() if l.startswith("limits hit"))
    # faults and crashing-answer both had a kernel die; only faults ran into the cell time limit.
    assert "KernelDied in 2" in line and "CellTimeoutError in 1" in line, out


def test_no_network_inside_the_kernel(graded):
    nb = nbformat.read(graded["workdir"] / "autograded" / "faults" / "attention" / "attention.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "socket.create_connection" in c.source)
    printed = "".join(o.get("text", "") for o in cell.outputs)
    if "NETWORK-REACHED" in printed and not network_isolation_available():
        pytest.skip("network isolation (unshare) is not available on this machine")
    assert "no network" in printed and "NETWORK-REACHED" not in printed, printed
    assert not graded["accepted"]


def test_a_crashing_answer_costs_only_the_tests_that_use_it(graded):
    cells = graded["cells"]["crashing-answer"]
    assert cells["test_causal_mask"][0] == 0 and cells["test_mhsa_causal"][0] == 0
    for kept in ("test_attention_scores", "test_masked_softmax", "test_sdpa"):
        assert cells[kept][0] == cells[kept][1], (kept, cells)


def test_the_notebook_time_limit_keeps_earlier_points(graded):
    cells = graded["cells"]["slow"]
    assert cells["test_attention_scores"][0] == 2 and cells["test_causal_mask"][0] == 2, cells
    assert cells["test_mhsa_flag"][0] == 0, cells


def test_killed_and_restarted_kernels_leave_no_folder_behind(graded):
    left = sorted(p.name for p in graded["scratch"].iterdir() if p.name.startswith("grader-"))
    assert not left, f"the grader left temporary folders: {left}"
