"""The course package: the data loader's search order and checks, device choice, visible checks."""
import io
import urllib.request
from pathlib import Path

import pytest
import torch

from llmcourse import data, get_device
from llmcourse.checks import CheckFailed, check_close, check_shape
from tests.conftest import SHARED_DATA

SHAKESPEARE = SHARED_DATA / "tinyshakespeare.txt"
needs_shared = pytest.mark.skipif(not SHAKESPEARE.exists(), reason="../shared/data/tinyshakespeare.txt is absent")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LLMCOURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LLMCOURSE_DATA_DIR", raising=False)
    return tmp_path / "cache"


def no_network(*args, **kwargs):
    raise OSError("network is unreachable")


@needs_shared
def test_loader_finds_the_shared_copy_offline(empty_cache, monkeypatch):
    monkeypatch.setenv("LLMCOURSE_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    text = data.load_tiny_shakespeare()
    assert len(text) == 1_115_394 and text.startswith("First Citizen:")


@needs_shared
def test_loader_prefers_the_cache(empty_cache, monkeypatch, tmp_path):
    empty_cache.mkdir()
    (empty_cache / "tinyshakespeare.txt").write_bytes(SHAKESPEARE.read_bytes())
    monkeypatch.setenv("LLMCOURSE_DATA_DIR", str(tmp_path / "nowhere"))
    assert data.fetch(data.TINY_SHAKESPEARE, download=False) == empty_cache / "tinyshakespeare.txt"


@needs_shared
def test_loader_downloads_verifies_and_caches(empty_cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(SHAKESPEARE.read_bytes()))
    path = data.fetch(data.TINY_SHAKESPEARE)
    assert path == empty_cache / "tinyshakespeare.txt" and data.sha256_of(path) == data.TINY_SHAKESPEARE.sha256


def test_loader_rejects_a_corrupt_download_and_keeps_nothing(empty_cache, monkeypatch):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: io.BytesIO(b"not shakespeare"))
    with pytest.raises(data.DataError, match="sha256"):
        data.fetch(data.TINY_SHAKESPEARE)
    assert not any(empty_cache.glob("*")) if empty_cache.exists() else True


def test_loader_ignores_a_corrupt_local_copy_and_says_where_it_looked(empty_cache, monkeypatch, tmp_path):
    bad = tmp_path / "data"
    bad.mkdir()
    (bad / "tinyshakespeare.txt").write_text("truncated")
    monkeypatch.setenv("LLMCOURSE_DATA_DIR", str(bad))
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(data.DataError, match="could not download .*LLMCOURSE_DATA_DIR"):
        data.fetch(data.TINY_SHAKESPEARE)


def test_get_device(monkeypatch):
    monkeypatch.setenv("LLMCOURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.delenv("LLMCOURSE_DEVICE")
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            get_device("cuda")


def test_check_close_names_the_likely_mistake():
    expected = torch.tensor([[1.5, 1.0, 4.0]])
    with pytest.raises(CheckFailed, match="did you scale"):
        check_close(expected * 2, expected, "scores", hints=[("did you scale?", lambda e: e * 2)])
    check_close(expected.clone(), expected, "scores", hints=[("did you scale?", lambda e: e * 2)])


def test_check_close_reports_shape_nan_rows_and_share_correct():
    with pytest.raises(CheckFailed, match=r"shape is \(2, 3\), expected \(3, 2\)"):
        check_close(torch.zeros(2, 3), torch.zeros(3, 2), "x")
    nan_row = torch.tensor([[0.5, 0.5], [float("nan"), float("nan")]])
    with pytest.raises(CheckFailed, match="whole rows of NaN"):
        check_close(nan_row, torch.tensor([[0.5, 0.5], [0.0, 0.0]]), "weights")
    with pytest.raises(CheckFailed, match="75.0% of values are correct"):
        check_close(torch.tensor([1.0, 2.0, 3.0, 5.0]), torch.tensor([1.0, 2.0, 3.0, 4.0]), "x")
    with pytest.raises(CheckFailed, match="did you forget to return"):
        check_close(None, torch.zeros(1), "x")
    with pytest.raises(CheckFailed, match="dtype"):
        check_close(torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.bool), "mask")
    with pytest.raises(CheckFailed, match="expected"):
        check_shape(torch.zeros(1, 2), (2, 1), "x")


def test_check_close_shows_small_results_whole_and_large_ones_summarised():
    with pytest.raises(CheckFailed) as small:
        check_close(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.0], [3.0, 5.0]]), "x")
    assert "got:      [[1.0, 2.0], [3.0, 4.0]]" in str(small.value)
    assert "expected: [[1.0, 2.0], [3.0, 5.0]]" in str(small.value)
    with pytest.raises(CheckFailed) as large:
        check_close(torch.ones(4, 4), torch.zeros(4, 4), "x")
    assert "got:" not in str(large.value) and "0.0% of values are correct" in str(large.value)


def test_cpu_threads_leave_a_core_free_and_obey_the_environment(monkeypatch):
    from llmcourse import env

    assert [env.default_threads(n) for n in (1, 2, 3, 8, 64)] == [1, 1, 2, 4, 4]
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        monkeypatch.delenv("LLMCOURSE_THREADS", raising=False)
        monkeypatch.setattr(env, "usable_cores", lambda: 2)
        assert env.set_cpu_threads() == 1 == torch.get_num_threads()
        monkeypatch.setenv("LLMCOURSE_THREADS", "2")
        assert env.set_cpu_threads() == 2 == torch.get_num_threads()
        assert env.set_cpu_threads(1) == 1 == torch.get_num_threads()
        monkeypatch.delenv("LLMCOURSE_THREADS")
        torch.set_num_threads(2)                     # what PyTorch read from the grader's OMP_NUM_THREADS
        monkeypatch.setenv("OMP_NUM_THREADS", "2")   # the grader's share of the cores: left as it is,
        assert env.set_cpu_threads() == torch.get_num_threads() == 2    # not cut to the default of 1
    finally:
        torch.set_num_threads(before)


def test_the_package_docstring_names_every_module():
    import llmcourse

    modules = {p.stem for p in Path(llmcourse.__file__).parent.glob("*.py")} - {"__init__"}
    missing = [m for m in sorted(modules) if f"``llmcourse.{m}``" not in llmcourse.__doc__]
    assert not missing, f"llmcourse's docstring does not mention {missing}"
