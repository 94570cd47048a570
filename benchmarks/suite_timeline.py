"""Where the test suite's time goes: run it with a timeline, then print each worker's busy time, its
idle time at the end (waiting for the slowest worker), and the groups and modules that cost the most.

    COURSE_TIMELINE=/tmp/timeline.jsonl pytest          # tests/conftest.py appends one line per test
    python benchmarks/suite_timeline.py /tmp/timeline.jsonl [--top 25]

Or let the script run the suite itself (a fresh timeline each time; extra arguments go to pytest):

    python benchmarks/suite_timeline.py --run [-- -n 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def summary(lines: list[dict], top: int = 25) -> str:
    if not lines:
        return "the timeline is empty"
    first, last = min(l["start"] for l in lines), max(l["end"] for l in lines)
    out = [f"{len(lines)} tests, first start to last end: {last - first:.0f} s"]
    by_worker = defaultdict(list)
    for l in lines:
        by_worker[l["worker"]].append(l)
    for worker, items in sorted(by_worker.items()):
        busy = sum(l["end"] - l["start"] for l in items)
        done = max(l["end"] for l in items)
        out.append(f"  {worker}: {len(items)} tests, busy {busy:.0f} s, idle at the end {last - done:.0f} s")
    if all("cpu" in l for l in lines):
        # CPU time does not grow when other work shares the machine, so it is the figure to compare
        # between runs; on an idle machine with n cores the suite takes about cpu / n of wall clock.
        cpu = sum(l["cpu"] for l in lines)
        out.append(f"CPU time of the tests and of the processes they started: {cpu:.0f} s "
                   f"({cpu / len(by_worker):.0f} s a worker)")
    costs, cpus = defaultdict(float), defaultdict(float)
    for l in lines:
        name = l["group"] or l["test"].split("::")[0]
        costs[name] += l["end"] - l["start"]
        cpus[name] += l.get("cpu", 0.0)
    out.append(f"the {top} costliest groups (a module, or the tests sharing one fixture), in worker-seconds:")
    for name, cost in sorted(costs.items(), key=lambda kv: -kv[1])[:top]:
        out.append(f"  {cost:7.1f}  {name}" + (f"  (CPU {cpus[name]:.1f} s)" if cpus[name] else ""))
    out.append(f"what each assignment adds (its tests, parametrised or grouped by its id), in worker-seconds; "
               f"on {len(by_worker)} workers the wall clock grows by about 1/{len(by_worker)} of it:")
    cpu_shares = per_assignment(lines, key="cpu")
    for assignment_id, cost in per_assignment(lines).items():
        out.append(f"  {cost:7.1f}  {assignment_id}" + (f"  (CPU {cpu_shares[assignment_id]:.1f} s)" if cpu_shares[assignment_id] else ""))
    return "\n".join(out)


def per_assignment(lines: list[dict], key: str = "wall") -> dict[str, float]:
    """Each assignment's share: wall-clock seconds, or (key="cpu") CPU seconds where the lines have them."""
    sys.path.insert(0, str(REPO))
    from grader.course import Course

    costs = {}
    for assignment_id in Course(root=REPO).assignment_ids():
        # The book's tests are left out: the first of them carries the whole build, whichever it is.
        mine = [l for l in lines if l["group"] != "book" and f"[{assignment_id}]" in l["test"] or f"[{assignment_id}-" in l["test"]
                or (l["group"] or "").endswith(f"-{assignment_id}")]
        costs[assignment_id] = sum(l.get("cpu", 0.0) if key == "cpu" else l["end"] - l["start"] for l in mine)
    return costs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("timeline", nargs="?", type=Path)
    parser.add_argument("--run", action="store_true", help="run pytest with a fresh timeline first")
    parser.add_argument("--top", type=int, default=25)
    argv = sys.argv[1:]
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    if args.run:
        args.timeline = Path(tempfile.mkdtemp(prefix="suite-timeline-")) / "timeline.jsonl"
        start = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", *pytest_args], cwd=REPO,
                               env={**os.environ, "COURSE_TIMELINE": str(args.timeline)})
        print(f"pytest {' '.join(pytest_args)} exited {code} after {time.perf_counter() - start:.0f} s wall")
    if args.timeline is None:
        parser.error("name a timeline file, or --run")
    print(summary(read(args.timeline), args.top))


if __name__ == "__main__":
    main()
