"""benchmarks/gpt_shakespeare.py trains with the gpt notebook's own code: it must keep finding it."""
import pytest

from tests.conftest import SHARED_DATA, load_script

pytestmark = pytest.mark.skipif(not (SHARED_DATA / "tinyshakespeare.txt").exists(),
                                reason="../shared/data/tinyshakespeare.txt is absent")


def benchmark():
    return load_script("benchmarks/gpt_shakespeare.py")


def test_benchmark_runs_the_notebooks_code_for_both_configurations():
    bench = benchmark()
    nb = bench.notebook_namespace()
    configs = bench.configurations(nb)
    base_model, base_train = configs["nanoGPT baseline"]
    assert (base_model.n_layer, base_model.n_head, base_model.d_model, base_model.block_size) == (4, 4, 128, 64)
    assert (base_train.batch_size, base_train.steps, base_train.lr) == (12, 2000, 1e-3)
    ours_model, ours_train = configs["ours"]
    assert ours_train.steps == nb["TrainConfig"]().steps and ours_model.vocab_size == 65
    for model_config, train_config in configs.values():
        run = bench.Run(nb, model_config, train_config)
        run.advance(2)
        assert run.step == 2 and 3.0 < run.last_loss < 5.0
        assert 3.0 < bench.validation_loss(nb, run.model, windows=50) < 5.0
