"""`python -m grader check`: every solution notebook earns full marks through the real grader,
on the CPU here and on CUDA where a GPU is present."""
import sys

import pytest
import torch

from tests.conftest import run

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(
    not torch.cuda.is_available(), reason="no CUDA device on this machine"))])
def test_every_solution_earns_full_marks(device):
    out = run([sys.executable, "-m", "grader", "check", "attention", "--device", device], timeout=900).stdout
    assert "every solution earns full marks" in out and "15 / 15" in out


def test_check_refuses_cuda_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    proc = run([sys.executable, "-m", "grader", "check", "--device", "cuda"], check=False)
    assert proc.returncode == 1 and "no CUDA device here" in proc.stderr
