"""How many cores grading may really use.

os.cpu_count() counts the host's cores. In a container started with `--cpus 4` on a 64-core server
it still says 64, and grading with one kernel per "core" would start 64 kernels (and tens of GB of
memory) on four cores' worth of time. The usable count is the smallest of the host's cores, the
cores this process may run on, and the container's CPU quota (cgroup v2 or v1), rounded up.
"""
import math
import os
from pathlib import Path

CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cgroup_quota(root: Path = CGROUP) -> float | None:
    """The CPU quota in cores, or None when there is none (or no cgroup file to read)."""
    v2 = _read(root / "cpu.max")                         # "max 100000" or "200000 100000"
    if v2:
        quota, _, period = v2.partition(" ")
        if quota != "max" and period:
            return int(quota) / int(period)
        return None
    quota, period = _read(root / "cpu" / "cpu.cfs_quota_us"), _read(root / "cpu" / "cpu.cfs_period_us")
    if quota and period and int(quota) > 0:
        return int(quota) / int(period)
    return None


def usable_cpus(root: Path = CGROUP) -> int:
    counts = [os.cpu_count() or 1]
    if hasattr(os, "sched_getaffinity"):
        counts.append(len(os.sched_getaffinity(0)))
    quota = cgroup_quota(root)
    if quota:
        counts.append(math.ceil(quota))
    return max(1, min(counts))
