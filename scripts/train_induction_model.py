"""Train the course's two-layer attention-only induction model and save it into the package.

    python scripts/train_induction_model.py [--steps N] [--out PATH]

Seeded, CPU-only and single-threaded, so a rerun on the same software gives the same weights; it
takes about 75 s of CPU time (3000 steps). The loss counts only the positions where the next token can be
read off the earlier copy of the run, so the model spends all its capacity on induction.

Left alone, the model spreads induction over all four heads of layer 1 (each could do the job, so
each does a quarter of it). A small group-lasso penalty on each head's output weights (the sum over
heads of the norm of W_O[head]) makes idle heads cheaper than shared work, so the circuit settles
into one main previous-token head and one main induction head that a student can find and name.
The penalty is near a cliff: at 0.03 every head dies before induction forms, so change it with care
and check the patching grids (and tests/test_induction_model.py) after retraining.
"""
import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from llmcourse.induction import (CHECKPOINT, InductionConfig, InductionTransformer,  # noqa: E402
                                 induction_accuracy, repeated_sequences, save_induction_model)

SEED = 0
STEPS = 3000
BATCH_SIZE = 128
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 0.01
HEAD_SPARSITY = 0.02       # weight of the group-lasso penalty on the heads' W_O (0.03 already kills every head)
EVAL_SEQUENCES = 2000


def train(steps: int = STEPS, seed: int = SEED, head_sparsity: float = HEAD_SPARSITY, log_every: int = 250) -> InductionTransformer:
    # One thread: the model is tiny, so more threads only wait on each other, and one thread
    # also fixes the order of floating-point sums, which makes reruns give the same weights.
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    cfg = InductionConfig()
    model = InductionTransformer(cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    # Warm up, then decay: the induction circuit forms after a plateau, and a gentle end keeps it sharp.
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LEARNING_RATE, total_steps=steps, pct_start=0.1)
    data = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        tokens, predictable = repeated_sequences(BATCH_SIZE, cfg.n_ctx, cfg.d_vocab, generator=data)
        logits = model(tokens)
        # Position t predicts token t + 1; keep only the positions induction can predict.
        mask = predictable[:, :-1]
        loss = F.cross_entropy(logits[:, :-1][mask], tokens[:, 1:][mask])
        head_norms = torch.stack([block.attn.W_O.flatten(1).norm(dim=1) for block in model.blocks])
        loss = loss + head_sparsity * head_norms.sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % log_every == 0 or step == steps:
            print(f"step {step:5d}  loss {loss.item():.4f}  head norms {[[round(x, 1) for x in row] for row in head_norms.tolist()]}",
                  flush=True)
    return model.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--head-sparsity", type=float, default=HEAD_SPARSITY)
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    args = parser.parse_args()
    start = time.perf_counter()
    model = train(args.steps, head_sparsity=args.head_sparsity)
    tokens, predictable = repeated_sequences(EVAL_SEQUENCES, generator=torch.Generator().manual_seed(SEED + 1))
    accuracy = induction_accuracy(model, tokens, predictable)
    print(f"accuracy on {EVAL_SEQUENCES} fresh sequences: {accuracy:.2%} ({time.perf_counter() - start:.0f} s)")
    save_induction_model(model, args.out, trained_steps=args.steps, seed=SEED, head_sparsity=args.head_sparsity,
                         accuracy=accuracy)
    print(f"saved {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
