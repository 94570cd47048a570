"""benchmarks/lora_finetuning.py runs the lora notebook's own code for every method: it must keep finding it."""

from tests.conftest import load_script


def benchmark():
    return load_script("benchmarks/lora_finetuning.py")


def test_benchmark_compares_every_method_on_a_tiny_budget(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "1")    # the notebook's cells then print less
    bench = benchmark()
    nb = bench.notebook_namespace()
    fc = nb["FinetuneConfig"](steps=2, batch_size=4, lora_ranks=(1, 8))
    nb["val_set"] = {key: value[:8] for key, value in nb["val_set"].items()}
    base_loss, rows = bench.compare(nb, fc)
    assert list(rows) == ["full", "last layer", "LoRA r=1", "LoRA r=8"]
    n_pretrained = nb["count_parameters"](nb["pretrained"])[1]
    assert rows["full"]["trainable"] == n_pretrained
    adapters = {name: row["trainable"] for name, row in rows.items() if name.startswith("LoRA")}
    assert adapters["LoRA r=8"] == 8 * adapters["LoRA r=1"] > 0     # r (in + out) per target
    assert rows["LoRA r=8"]["adapter_kb"] < rows["last layer"]["adapter_kb"] < rows["full"]["adapter_kb"]
    assert all(row["val"] < base_loss + 1.0 and row["s_per_step"] > 0 for row in rows.values())
    text = bench.report(base_loss, rows)
    assert "goal (LoRA r=8" in text and "% of the parameters" in text and "load average" in text


def test_benchmark_sweeps_learning_rates_and_switches_datasets(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "1")
    bench = benchmark()
    nb = bench.notebook_namespace()
    fc = nb["FinetuneConfig"](steps=2, batch_size=4)
    nb["val_set"] = {key: value[:8] for key, value in nb["val_set"].items()}
    losses = bench.sweep(nb, fc, grid={"full": [1e-4, 1e-3], "last layer": [1e-3], "lora": [5e-3]}, lora_rank=2)
    assert {kind: list(by_lr) for kind, by_lr in losses.items()} == {"full": [1e-4, 1e-3], "last layer": [1e-3], "lora": [5e-3]}
    assert "*" in bench.sweep_report(losses)
    bench.use_dataset(nb, "commands")
    assert nb["val_set"]["idx"].shape[0] == 300
    assert nb["train_set"]["idx"].shape[1] == nb["val_set"]["idx"].shape[1]
    assert bench.SWEEP["full"][0] < nb["FinetuneConfig"]().lr["full"] < bench.SWEEP["full"][-1]   # the grid brackets it
