"""The scaling assignment's runs: the committed table is well formed, spans what issue 20 asks
(at least 5 model sizes over 30x in non-embedding parameters, at least 4 token budgets, one larger
run held out), and records the settings the training script would use today."""
import math

import numpy as np

from llmcourse import scaling_runs
from llmcourse.scaling_runs import load_scaling_runs, read_table
from tests.conftest import load_script


def test_the_table_is_a_full_grid_with_a_larger_run_held_out():
    table = read_table()
    runs = table["runs"]
    sizes = {run["params"] for run in runs}
    budgets = {run["tokens"] for run in runs}
    assert len(sizes) >= 5 and max(sizes) / min(sizes) >= 30, sorted(sizes)
    assert len(budgets) >= 4
    assert len(runs) == len(sizes) * len(budgets), "every size trained for every budget, once"
    assert {(r["params"], r["tokens"]) for r in runs} == {(n, d) for n in sizes for d in budgets}
    heldout = table["heldout"]
    assert heldout["params"] > max(sizes), "the held-out run is larger than any in the grid"
    short = table["short_runs"]
    assert {(r["params"], r["tokens"]) for r in short} == {(n, d) for n in sizes for d in table["short_token_budgets"]}
    assert max(table["short_token_budgets"]) < min(budgets), "the runs kept apart are the shorter ones"
    for run in runs + short + [heldout]:
        assert run["flops"] == 6 * run["params"] * run["tokens"]
        assert run["tokens"] == run["steps"] * table["settings"]["batch_size"] * table["settings"]["block_size"]
        assert 0.5 < run["val_loss"] < math.log(65) + 0.5, run


def test_the_table_records_the_scripts_settings_and_grid():
    script = load_script("scripts/train_scaling_grid.py")
    table = read_table()
    assert table["settings"] == {**script.SETTINGS, "betas": list(script.SETTINGS["betas"])}
    assert table["sizes"] == [list(size) for size in script.SIZES]
    assert table["token_budgets"] == script.TOKENS
    assert table["short_token_budgets"] == script.SHORT_TOKENS
    assert table["heldout_spec"] == {"size": list(script.HELDOUT["size"]), "tokens": script.HELDOUT["tokens"]}
    assert [(r["n_layer"], r["n_head"], r["d_model"]) for r in table["runs"][::len(script.TOKENS)]] == script.SIZES


def test_the_recorded_parameter_counts_are_the_models_non_embedding_parameters():
    script = load_script("scripts/train_scaling_grid.py")
    from llmcourse.pretrained import GPT, GPTConfig
    for run in read_table()["runs"][::5] + [read_table()["heldout"]]:
        model = GPT(GPTConfig(vocab_size=65, block_size=script.SETTINGS["block_size"], n_layer=run["n_layer"],
                              n_head=run["n_head"], d_model=run["d_model"]))
        assert script.non_embedding_params(model) == run["params"]


def test_the_loader_gives_float_arrays_in_the_tables_order():
    runs = load_scaling_runs()
    table = read_table()
    for key in scaling_runs.COLUMNS:
        assert runs[key].dtype == np.float64 and runs[key].shape == (len(table["runs"]),)
        assert runs[key].tolist() == [float(r[key]) for r in table["runs"]]
    assert runs["heldout"] == table["heldout"] and runs["settings"]["seed"] == table["settings"]["seed"]
    assert runs["short"]["val_loss"].tolist() == [float(r["val_loss"]) for r in table["short_runs"]]
