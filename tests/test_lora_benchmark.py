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
