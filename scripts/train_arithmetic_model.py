"""Train the `reasoning` assignment's model, `llmcourse/checkpoints/arithmetic.pt`, from its seed.

    python scripts/train_arithmetic_model.py [--out PATH] [--steps N]

A two-layer character-level GPT (`llmcourse.pretrained.GPT`) learns to complete `"07+58="` with
`"065."` (the format of `llmcourse.arithmetic`) by supervised next-character prediction on the answer
characters only, over problems from the training split. The written answers come from a careless
writer: with probability `careless` (per example) the answer is the sum without carries
(`arithmetic.careless_sum`), otherwise the right sum. The model learns both, and on problems that
need a carry it tends to prefer the careless answer, so its greedy held-out accuracy starts low while
the right answer keeps a real share of its probability: room for RL to sharpen.

Every hyperparameter is in HYPERPARAMETERS; they are recorded in the checkpoint with the greedy
accuracy on the 2,000 held-out problems (`held_out_greedy_accuracy`), which
tests/test_arithmetic.py recomputes. Deterministic on a CPU for a given number of threads.
"""
import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from llmcourse import arithmetic  # noqa: E402
from llmcourse.pretrained import CHECKPOINTS, GPT, GPTConfig, save_checkpoint  # noqa: E402

MODEL = GPTConfig(vocab_size=len(arithmetic.CHARS), block_size=arithmetic.PROMPT_LEN + arithmetic.COMPLETION_LEN,
                  n_layer=2, n_head=4, d_model=64, tie_weights=True)
HYPERPARAMETERS = dict(
    seed=7,
    steps=1500,
    batch_size=128,
    lr=3e-3,
    weight_decay=0.01,
    careless=0.75,       # the share of training answers written without carrying
    threads=1,
)


def greedy_accuracy(model, problems) -> float:
    texts = arithmetic.greedy_completions(model, problems)
    return sum(t.startswith(arithmetic.completion_text(a + b)) for t, (a, b) in zip(texts, problems)) / len(problems)


def batch(problems, h, generator):
    """Sequences `prompt + completion` as (inputs, targets), targets -100 outside the completion."""
    pick = torch.randint(len(problems), (h["batch_size"],), generator=generator).tolist()
    careless = (torch.rand(h["batch_size"], generator=generator) < h["careless"]).tolist()
    tok = arithmetic.tokenizer()
    rows = []
    for i, sloppy in zip(pick, careless):
        a, b = problems[i]
        total = arithmetic.careless_sum(a, b) if sloppy else a + b
        rows.append(tok.encode(arithmetic.prompt_text(a, b) + arithmetic.completion_text(total)))
    seq = torch.tensor(rows)
    x, y = seq[:, :-1], seq[:, 1:].clone()
    y[:, : arithmetic.PROMPT_LEN - 1] = -100
    return x, y


def train(h: dict):
    torch.set_num_threads(h["threads"])
    train_problems, held_out = arithmetic.split()
    torch.manual_seed(h["seed"])
    model = GPT(MODEL)
    optimizer = torch.optim.AdamW(model.parameters(), lr=h["lr"], weight_decay=h["weight_decay"])
    generator = torch.Generator().manual_seed(h["seed"])
    start = time.perf_counter()
    for step in range(h["steps"]):
        x, y = batch(train_problems, h, generator)
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-100)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % 250 == 0 or step == h["steps"] - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  held-out greedy accuracy "
                  f"{greedy_accuracy(model, held_out[:500]):.3f}  {time.perf_counter() - start:5.0f} s", flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    carry = [p for p in held_out if arithmetic.needs_carry(*p)]
    record = {"train": {**h, "seconds": round(seconds, 1)},
              "held_out_greedy_accuracy": greedy_accuracy(model, held_out),
              "held_out_greedy_accuracy_with_carry": greedy_accuracy(model, carry)}
    return model, record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CHECKPOINTS / "arithmetic.pt")
    parser.add_argument("--steps", type=int, default=HYPERPARAMETERS["steps"])
    parser.add_argument("--careless", type=float, default=HYPERPARAMETERS["careless"])
    args = parser.parse_args()
    model, record = train({**HYPERPARAMETERS, "steps": args.steps, "careless": args.careless})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(args.out, model, arithmetic.tokenizer(), **record)
    print(f"held-out greedy accuracy {record['held_out_greedy_accuracy']:.3f} "
          f"(problems that carry: {record['held_out_greedy_accuracy_with_carry']:.3f}); "
          f"{args.out.stat().st_size / 1e6:.2f} MB at {args.out}")


if __name__ == "__main__":
    main()
