"""Grading counts the cores it may really use: a container's CPU quota, not the host's core count."""
import pytest

from grader.cpus import cgroup_quota, usable_cpus


@pytest.fixture
def big_host(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)), raising=False)


def write(root, relative, text):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


@pytest.mark.parametrize("cpu_max, cores", [("400000 100000", 4), ("150000 100000", 2), ("max 100000", 64)])
def test_a_cgroup_v2_quota_caps_the_cores(tmp_path, big_host, cpu_max, cores):
    write(tmp_path, "cpu.max", cpu_max)
    assert usable_cpus(tmp_path) == cores


@pytest.mark.parametrize("quota, cores", [("300000", 3), ("-1", 64)])
def test_a_cgroup_v1_quota_caps_the_cores(tmp_path, big_host, quota, cores):
    write(tmp_path, "cpu/cpu.cfs_quota_us", quota)
    write(tmp_path, "cpu/cpu.cfs_period_us", "100000")
    assert usable_cpus(tmp_path) == cores


def test_without_cgroup_files_the_affinity_decides(tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert cgroup_quota(tmp_path) is None
    assert usable_cpus(tmp_path) == 3
