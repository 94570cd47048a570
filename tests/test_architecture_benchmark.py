"""benchmarks/architecture_shakespeare.py trains with the architecture notebook's own code: it must keep finding it."""
import pytest

from tests.conftest import SHARED_DATA, load_script

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "tinyshakespeare.txt").exists(),
                                reason="../shared/data/tinyshakespeare.txt is absent")


def test_benchmark_trains_both_models_with_the_notebooks_code():
    bench = load_script("benchmarks/architecture_shakespeare.py")
    nb = bench.notebook_namespace()
    models = {name: build() for name, build in bench.builders(nb).items()}
    assert set(models) == {"GPT-2 block", "modern block"}
    assert sum(p.numel() for p in models["GPT-2 block"].parameters()) > sum(p.numel() for p in models["modern block"].parameters())
    for name in models:
        result = bench.run(nb, name, steps=2, seed=0, eval_windows=8)
        assert 3.0 < result["val"] < 5.0 and result["ms_per_step"] > 0
