"""Train the course's pretrained model, `llmcourse/checkpoints/shakespeare-char.pt`, from its seed.

    python scripts/train_shakespeare_char.py [--out PATH] [--steps N]

A character-level GPT (the `gpt` assignment's architecture, as `llmcourse.pretrained.GPT`, with a
context of 128 characters) trained on the first 90% of tiny Shakespeare: AdamW with a warmup and a
cosine decay, about 7.7 million characters in all (about ten minutes on one core). Every
hyperparameter is in HYPERPARAMETERS below and is recorded in the checkpoint with two validation losses:

- `val_loss`: the mean loss over the whole validation split (the last 10%), cut into consecutive,
  non-overlapping windows of `block_size` characters;
- `val_check`: the mean loss over CHECK_WINDOWS windows spread evenly over that split: a number
  tests/test_pretrained.py recomputes in a second or so.

The run is deterministic on a CPU for a given number of torch threads (recorded as `threads`); other
thread counts give the same model up to floating-point rounding, within the test's tolerance.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from llmcourse.data import load_tiny_shakespeare  # noqa: E402
from llmcourse.pretrained import CHECKPOINTS, VAL_FRACTION, CharTokenizer, GPT, GPTConfig, save_checkpoint  # noqa: E402

MODEL = GPTConfig(vocab_size=65, block_size=128, n_layer=4, n_head=4, d_model=128, tie_weights=True)
HYPERPARAMETERS = dict(
    seed=1337,
    steps=2500,
    batch_size=24,
    lr=3e-3,             # peak, after a linear warmup
    min_lr=3e-4,         # the end of the cosine decay
    warmup_steps=50,
    betas=(0.9, 0.99),
    weight_decay=0.1,    # matrices only
    threads=1,
)
CHECK_WINDOWS = 32


def splits(text: str, tokenizer: CharTokenizer) -> tuple[torch.Tensor, torch.Tensor]:
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    n_train = int((1 - VAL_FRACTION) * len(data))
    return data[:n_train], data[n_train:]


def windows(data: torch.Tensor, block_size: int, starts: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.stack([data[s:s + block_size] for s in starts])
    y = torch.stack([data[s + 1:s + 1 + block_size] for s in starts])
    return x, y


def check_windows(val: torch.Tensor, block_size: int, count: int = CHECK_WINDOWS):
    """`count` windows whose starts are spread evenly over the validation split."""
    return windows(val, block_size, torch.linspace(0, len(val) - block_size - 1, count).long().tolist())


def all_windows(val: torch.Tensor, block_size: int):
    """The whole validation split as consecutive, non-overlapping windows."""
    return windows(val, block_size, list(range(0, len(val) - block_size, block_size)))


@torch.no_grad()
def mean_loss(model: GPT, x: torch.Tensor, y: torch.Tensor, chunk: int = 64) -> float:
    """Mean next-character cross-entropy over every position of the windows (x, y)."""
    model.eval()
    total = 0.0
    for i in range(0, len(x), chunk):
        _, loss = model(x[i:i + chunk], y[i:i + chunk])
        total += loss.item() * len(x[i:i + chunk])
    return total / len(x)


def learning_rate(step: int, h: dict) -> float:
    if step < h["warmup_steps"]:
        return h["lr"] * (step + 1) / h["warmup_steps"]
    progress = (step - h["warmup_steps"]) / max(1, h["steps"] - h["warmup_steps"])
    return h["min_lr"] + 0.5 * (h["lr"] - h["min_lr"]) * (1 + math.cos(math.pi * progress))


def train(h: dict) -> tuple[GPT, CharTokenizer, dict]:
    torch.set_num_threads(h["threads"])
    text = load_tiny_shakespeare()
    tokenizer = CharTokenizer("".join(sorted(set(text))))
    train_data, val_data = splits(text, tokenizer)
    torch.manual_seed(h["seed"])
    model = GPT(MODEL)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": matrices, "weight_decay": h["weight_decay"]},
                                   {"params": vectors, "weight_decay": 0.0}], lr=h["lr"], betas=h["betas"])
    batches = torch.Generator().manual_seed(h["seed"])
    start = time.perf_counter()
    for step in range(h["steps"]):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, h)
        starts = torch.randint(len(train_data) - MODEL.block_size, (h["batch_size"],), generator=batches).tolist()
        x, y = windows(train_data, MODEL.block_size, starts)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 100 == 0 or step == h["steps"] - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  {time.perf_counter() - start:6.0f} s", flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    record = {
        "train": {**h, "seconds": round(seconds, 1)},
        "val_loss": mean_loss(model, *all_windows(val_data, MODEL.block_size)),
        "val_check": {"loss": mean_loss(model, *check_windows(val_data, MODEL.block_size)),
                      "windows": CHECK_WINDOWS, "block_size": MODEL.block_size},
    }
    return model, tokenizer, record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKPOINTS / "shakespeare-char.pt")
    parser.add_argument("--steps", type=int, default=HYPERPARAMETERS["steps"], help="for a quick smoke run")
    args = parser.parse_args()
    model, tokenizer, record = train({**HYPERPARAMETERS, "steps": args.steps})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out, model, tokenizer, **record)
    print(f"validation loss {record['val_loss']:.4f} (check windows: {record['val_check']['loss']:.4f}); "
          f"{args.out.stat().st_size / 1e6:.1f} MB at {args.out}")


if __name__ == "__main__":
    main()
