"""The architecture assignment's comparison, GPT-2's block against the modern one (RMSNorm, RoPE,
SwiGLU, grouped-query attention with 2 KV heads), at the gpt assignment's full budget of 2,000 steps
and at the notebook's shortened one, over several seeds; trained with the notebook's own code (its
solution cells are executed here) and printed.

    python benchmarks/architecture_shakespeare.py                       # 2,000 and 400 steps, seeds 1337 and 1
    python benchmarks/architecture_shakespeare.py --steps 400 --seeds 1337 1 2

Each run is the notebook's `train` with `TrainConfig(steps=..., warmup_steps=steps // 10 capped at
100, seed=...)`; the seed decides both the initial weights and the order of the batches, and both
models of a seed see the same batches. The validation loss is the notebook's: 256 windows of 64
characters spread evenly over the validation split. Which model trains first alternates from seed to
seed, so that a change in the machine's load does not always favour the same one; the milliseconds
per step are as measured, with the load average printed beside them.

Measured on the course's 2-core CPU (torch 2.13, one thread; validation loss, GPT-2 block against
modern block): 2,000 steps, seed 1337: 1.765 / 1.688; seed 1: 1.773 / 1.680. 400 steps, seed 1337:
2.248 / 2.050; seed 1: 2.251 / 2.125. About 59 ms per step for GPT-2's block, 72 for the modern one,
on an idle machine. The notebook's text quotes these figures: rerun this after changing the recipe.
"""
import argparse
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

# The cells that define what training needs, in notebook order.
DEFINITIONS = ["setup", "rope", "swiglu", "gqa", "shakespeare", "modern_gpt", "train_code"]


def notebook_namespace() -> dict:
    """The solution notebook's definition cells, executed."""
    return solution_namespace("architecture", DEFINITIONS)


def builders(nb: dict) -> dict:
    """The two models of the notebook's comparison cell."""
    config = nb["GPTConfig"](vocab_size=nb["vocab_size"], block_size=64, n_layer=4, n_head=4, d_model=128, tie_weights=True)
    return {"GPT-2 block": lambda: nb["GPT"](config),
            "modern block": lambda: nb["ModernGPT"](config, n_kv_head=2, d_hidden=344)}


def run(nb: dict, name: str, steps: int, seed: int, eval_windows: int = 256) -> dict:
    tc = nb["TrainConfig"](steps=steps, warmup_steps=min(100, steps // 10), seed=seed, eval_every=steps,
                           eval_windows=eval_windows)
    torch.manual_seed(tc.seed)
    model = builders(nb)[name]()
    history = nb["train"](model, tc, desc=f"{name}, {steps} steps, seed {seed}")
    return {"val": history["val"][-1], "ms_per_step": 1000 * history["train_seconds"] / steps,
            "params": sum(p.numel() for p in model.parameters())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[2000, 400])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1])
    args = parser.parse_args()
    nb = notebook_namespace()
    names = list(builders(nb))
    results = {}
    for steps in args.steps:
        for index, seed in enumerate(args.seeds):
            for name in (names if index % 2 == 0 else names[::-1]):
                r = results[steps, seed, name] = run(nb, name, steps, seed)
                print(f"{steps:5} steps, seed {seed:5}, {name:>12}: validation loss {r['val']:.3f}, "
                      f"{r['ms_per_step']:.0f} ms/step, load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"\n{'steps':>5} {'seed':>5} {'GPT-2 block':>12} {'modern block':>13} {'difference':>11}")
    for steps in args.steps:
        gaps = []
        for seed in args.seeds:
            base, modern = results[steps, seed, names[0]]["val"], results[steps, seed, names[1]]["val"]
            gaps.append(base - modern)
            print(f"{steps:5} {seed:5} {base:12.3f} {modern:13.3f} {base - modern:11.3f}")
        print(f"{steps:5} {'mean':>5} {'':12} {'':13} {sum(gaps) / len(gaps):11.3f}")
    print(f"parameters: " + ", ".join(f"{n} {results[args.steps[0], args.seeds[0], n]['params']:,}" for n in names))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")


if __name__ == "__main__":
    main()
