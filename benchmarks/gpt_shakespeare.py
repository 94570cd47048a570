"""The `gpt` assignment's training budget: nanoGPT's CPU baseline configuration against ours, trained
with the notebook's own code (its solution cells are executed here), in the same run, and printed.

    python benchmarks/gpt_shakespeare.py                 # both full runs, then the table
    python benchmarks/gpt_shakespeare.py --speed 30      # only the seconds per step of each, 30 steps each

The baseline is nanoGPT's documented CPU run (4 layers, 4 heads, 128 dims, context 64, batch 12,
2,000 steps, learning rate 1e-3 decaying to 1e-4, no dropout, untied embeddings, AdamW's for-loop update), which reaches a validation loss of
about 1.886 in about 68 s on an idle 2-core CPU. Ours is `TrainConfig()` and the notebook's
`GPTConfig` of the training cell. The validation loss of each is measured the same way: the mean
loss over 400 windows of its own context length, spread evenly over the validation split.

The two runs are *interleaved*, a chunk of steps of one then a chunk of the other, and each run's
clock only counts its own chunks: on a shared machine the load changes from minute to minute, and
interleaving lets both runs see the same load, so their ratio holds even when the absolute seconds
do not. The table also prints our time rescaled to the baseline's documented 68 s.
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

import nbformat
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "solutions" / "gpt" / "gpt.ipynb"
# The cells that define what training needs, in notebook order.
DEFINITIONS = ["setup", "data", "given_model", "layernorm", "block", "gpt", "get_batch", "estimate_loss", "train_loop"]
BASELINE_SECONDS_IDLE = 68.0


def notebook_namespace() -> dict:
    """The solution notebook's definition cells, executed."""
    return solution_namespace("gpt", DEFINITIONS)


def our_model_config(nb: dict):
    """The GPTConfig of the notebook's training cell."""
    cell = next(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells
                if c.cell_type == "code" and "history = train(" in c.source)
    return eval(re.search(r"config = (GPTConfig\(.*?\))\n", cell).group(1), nb)


def configurations(nb: dict) -> dict:
    GPTConfig, TrainConfig = nb["GPTConfig"], nb["TrainConfig"]
    vocab = nb["vocab_size"]
    baseline = (GPTConfig(vocab_size=vocab, block_size=64, n_layer=4, n_head=4, d_model=128, tie_weights=False),
                TrainConfig(steps=2000, batch_size=12, lr=1e-3, min_lr=1e-4, warmup_steps=100,
                            betas=(0.9, 0.99), weight_decay=0.1, fused=False, eval_every=10**9, eval_batches=1))
    ours_train = TrainConfig()
    ours = (our_model_config(nb), TrainConfig(**{**ours_train.__dict__, "eval_every": 10**9, "eval_batches": 1}))
    return {"nanoGPT baseline": baseline, "ours": ours}


def validation_loss(nb: dict, model, windows: int = 400) -> float:
    """Mean loss over `windows` windows of the model's context, spread evenly over the validation split."""
    val, T = nb["val_data"], model.config.block_size
    starts = torch.linspace(0, len(val) - T - 1, windows).long().tolist()
    x = torch.stack([val[s:s + T] for s in starts])
    y = torch.stack([val[s + 1:s + 1 + T] for s in starts])
    model.eval()
    with torch.no_grad():
        losses = [model(x[i:i + 50], y[i:i + 50])[1].item() * len(x[i:i + 50]) for i in range(0, windows, 50)]
    return sum(losses) / windows


class Run:
    """One training run that can advance a chunk of steps at a time (the notebook's loop, unrolled)."""

    def __init__(self, nb, model_config, tc):
        self.nb, self.tc = nb, tc
        torch.manual_seed(tc.seed)
        self.model = nb["GPT"](model_config)
        self.optimizer = nb["make_optimizer"](self.model, tc)
        self.batches = torch.Generator().manual_seed(tc.seed)
        self.step, self.seconds, self.last_loss = 0, 0.0, float("nan")

    def advance(self, n: int) -> None:
        nb, tc, model = self.nb, self.tc, self.model
        start = time.perf_counter()
        for _ in range(min(n, tc.steps - self.step)):
            for group in self.optimizer.param_groups:
                group["lr"] = nb["learning_rate"](self.step, tc)
            x, y = nb["get_batch"](nb["train_data"], model.config.block_size, tc.batch_size, self.batches)
            _, loss = model(x, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
        self.last_loss = loss.item()
        self.seconds += time.perf_counter() - start

    @property
    def done(self) -> bool:
        return self.step >= self.tc.steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=int, metavar="STEPS", help="only time STEPS steps of each configuration")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2, the course's CPU)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    nb = notebook_namespace()
    runs = {name: Run(nb, *config) for name, config in configurations(nb).items()}
    for name, run in runs.items():
        c, tc = run.model.config, run.tc
        print(f"{name}: {c.n_layer} layers, {c.n_head} heads, {c.d_model} dims, context {c.block_size}, "
              f"batch {tc.batch_size}, {tc.steps} steps, lr {tc.lr:g}->{tc.min_lr:g}, warmup {tc.warmup_steps}, "
              f"betas {tc.betas}, fused AdamW {tc.fused}, tied {c.tie_weights}", flush=True)
    if args.speed:
        for run in runs.values():
            run.advance(3)          # warm up allocators and kernels, not timed below
            run.seconds = 0.0
        for _ in range(args.speed // 5):
            for run in runs.values():
                run.advance(5)
        for name, run in runs.items():
            per_step = run.seconds / (args.speed // 5 * 5)
            print(f"{name}: {1000 * per_step:.1f} ms/step -> {per_step * run.tc.steps:.1f} s for {run.tc.steps} steps")
        return
    # Chunks of about equal time: each run advances a number of steps proportional to its length.
    chunks = 40
    while not all(run.done for run in runs.values()):
        for name, run in runs.items():
            if not run.done:
                run.advance(max(1, run.tc.steps // chunks))
                print(f"  {name}: step {run.step}/{run.tc.steps}, loss {run.last_loss:.3f}, {run.seconds:.1f} s", flush=True)
    results = {}
    for name, run in runs.items():
        start = time.perf_counter()
        val = validation_loss(nb, run.model)
        results[name] = (val, run.seconds, time.perf_counter() - start)
    base_seconds = results["nanoGPT baseline"][1]
    print(f"\n{'configuration':<18} {'val loss':>8} {'train s':>8} {'eval s':>7} {'s, baseline := 68 s':>20}")
    for name, (val, seconds, eval_seconds) in results.items():
        scaled = seconds / base_seconds * BASELINE_SECONDS_IDLE
        print(f"{name:<18} {val:8.3f} {seconds:8.1f} {eval_seconds:7.1f} {scaled:20.1f}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
