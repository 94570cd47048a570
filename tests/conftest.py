"""Shared fixtures: the repository's paths, the shared data directory, and one book build per session."""
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.course import Course
from grader.cpus import usable_cpus

REPO = Path(__file__).resolve().parents[1]
# Every assignment, found as the grader finds them (solutions/<id>/<id>.ipynb).
ASSIGNMENTS = Course(root=REPO).assignment_ids()
# The console script sits beside this interpreter (jupyter-book has no `python -m` entry).
JUPYTER_BOOK = str(Path(sys.executable).with_name("jupyter-book"))
SHARED_DATA = REPO.parent / "shared" / "data"
# Submissions a graded class in the tests runs at once: the cores shared among the xdist workers
# (each may grade a class at the same time), but at least two, so that parallel grading is tested.
GRADING_JOBS = max(2, usable_cpus() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))

# Tests read tiny Shakespeare from the shared copy, never from the network.
if SHARED_DATA.is_dir():
    os.environ.setdefault("LLMCOURSE_DATA_DIR", str(SHARED_DATA))


def run(cmd, cwd=REPO, timeout=600, check=True, env=None):
    """Run a command, returning the CompletedProcess; on failure show its output in the assertion."""
    proc = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})},
    )
    if check:
        assert proc.returncode == 0, (
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc


def load_script(relative_path: str):
    """A script of the repository (benchmarks/, scripts/) imported as a module, without running its main."""
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built_book():
    """Build the book once (warnings are errors) and return the HTML directory.

    COURSE_BOOK_BUILD_DIR moves the build elsewhere, so that two builds never share a folder.
    The execution cache lives beside the HTML, so local reruns do not execute unchanged demos again.
    """
    from filelock import FileLock

    out = Path(os.environ.get("COURSE_BOOK_BUILD_DIR", REPO))
    html = out / "_build" / "html"
    (out / "_build").mkdir(parents=True, exist_ok=True)
    # The tests of the book share one xdist worker; should they ever be split, the other workers
    # wait for this run's build instead of building into the same folder at the same time.
    built_in_this_run = out / "_build" / f".built-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
    with FileLock(str(out / "_build" / ".build.lock")):
        if not built_in_this_run.exists():
            run([JUPYTER_BOOK, "build", ".", "--all", "-W", "--keep-going",
                 "--path-output", str(out)], timeout=1800)
            for stale in (out / "_build").glob(".built-*"):
                stale.unlink()
            built_in_this_run.touch()
    assert (html / "index.html").exists()
    return html


def pytest_configure(config):
    # Declared here too, so that `pytest -p no:xdist` (one process) runs without a warning.
    config.addinivalue_line("markers", "xdist_group(name): tests that run in the same xdist worker")
    config.addinivalue_line("markers", "slow: the full tier: kernels through the real grader, or the built book")
    config.addinivalue_line("markers", "fast: every test not marked slow (`pytest -m fast`, about two minutes)")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (the default in pyproject.toml): one worker per core, at most four, because each
    worker may be grading a whole class, several kernels at once, at the same time as the others."""
    return min(usable_cpus(), 4)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that share an expensive fixture run in the same xdist worker, so that it is built once:
    every test of the book (a session fixture) in one worker; the tests of a module with a
    module-scoped fixture in one worker, one per parameter of it (a graded class per assignment).
    Tests that share nothing spread freely. Every test not marked slow is marked fast.

    Then the longest work goes first (pyproject.toml turns off xdist's own reordering, which puts
    the groups with the most tests first, whatever they cost): a worker that picks up a 40 s class
    near the end keeps the others idle, while the many short fast tests fill the gaps at the end."""
    for item in items:
        if item.get_closest_marker("slow") is None:
            item.add_marker(pytest.mark.fast)
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        scopes = {name: defs[-1].scope for name, defs in info.name2fixturedefs.items() if defs}
        if "built_book" in scopes:
            item.add_marker(pytest.mark.xdist_group("book"))
            continue
        shared = sorted(name for name, scope in scopes.items() if scope == "module")
        if shared:
            params = getattr(item, "callspec", None)
            values = [str(params.params[name]) for name in shared if params and name in params.params]
            item.add_marker(pytest.mark.xdist_group("-".join([item.module.__name__, *values])))
    items.sort(key=expected_cost_rank)     # a stable sort: collection order within each rank


def expected_cost_rank(item) -> int:
    """0 the book (its build executes every demo), 1 a graded class shared by a module's tests,
    2 any other test of the full tier, 3 the fast tier's groups, 4 the rest of the fast tier."""
    group = item.get_closest_marker("xdist_group")
    slow = item.get_closest_marker("slow") is not None
    if group and group.args[0] == "book":
        return 0
    if slow:
        return 1 if group else 2
    return 3 if group else 4


# COURSE_TIMELINE=FILE: each worker appends one JSON line per test (worker, test, start, end), which
# benchmarks/suite_timeline.py turns into the figures of a run: each worker's busy and idle time,
# and the groups that cost the most.
_TIMELINE = os.environ.get("COURSE_TIMELINE")


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it has reaped (grader processes, and through
    them the kernels): unlike the wall clock, it does not grow when the machine is busy."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Runs where the test runs (an xdist worker, or the only process), around setup, call and teardown."""
    start, cpu_start = time.time(), _cpu_seconds()
    yield
    if _TIMELINE:
        group = item.get_closest_marker("xdist_group")
        line = {"worker": os.environ.get("PYTEST_XDIST_WORKER", "main"), "test": item.nodeid,
                "group": group.args[0] if group else None, "start": start, "end": time.time(),
                "cpu": round(_cpu_seconds() - cpu_start, 3)}
        with open(_TIMELINE, "a") as f:
            f.write(json.dumps(line) + "\n")
