"""The `lora` assignment's comparison, run with the notebook's own code (its solution cells are executed
here): full fine-tuning, last-layer-only fine-tuning and LoRA of ranks 1, 2, 4 and 8, on the same budget.

    python benchmarks/lora_finetuning.py                   # the notebook's FinetuneConfig
    python benchmarks/lora_finetuning.py --steps 300       # a longer budget, the same for every method
    python benchmarks/lora_finetuning.py --lora-lr 2e-2 --targets attn.qkv ff.fc
    python benchmarks/lora_finetuning.py --sweep             # first the learning-rate sweep of each method
    python benchmarks/lora_finetuning.py --dataset commands  # the contrast task (copying commands)

For each method it prints the trainable parameters (and their share of the pretrained model), the final
validation loss on the answers, the seconds per step, the size of the saved adapter (the trainable
tensors as torch.save writes them) and the share of full fine-tuning's improvement of the validation
loss; then the assignment's goal for LoRA r=8: at least 95% of full fine-tuning's improvement while
training under 5% of the parameters. Seconds depend on the machine's load: the load average is printed
with them.

With --sweep it first fine-tunes full, last-layer and LoRA r=8 models at each learning rate of a grid
(the same grid width for every method, the same steps and batches) and prints their validation losses:
the comparison then uses each method's best (on the notebook's task, these are the notebook's learning
rates), so every method gets a fair one.
"""
import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

# The cells that define what the comparison needs, in notebook order.
DEFINITIONS = ["setup", "data", "lora_linear", "inject_lora", "sft_loss", "finetune_code"]


def notebook_namespace() -> dict:
    """The solution notebook's definition cells, executed."""
    return solution_namespace("lora", DEFINITIONS)


def compare(nb: dict, fc) -> tuple[float, dict]:
    """Fine-tune with every method on `fc`'s budget; the pretrained loss and one row of results per method."""
    torch = nb["torch"]
    base_loss = nb["validation_loss"](nb["pretrained"].to(nb["device"]))
    n_pretrained = nb["count_parameters"](nb["pretrained"])[1]
    rows = {}
    for kind, r in [("full", None), ("last layer", None)] + [("lora", r) for r in fc.lora_ranks]:
        name = kind if r is None else f"LoRA r={r}"
        torch.manual_seed(fc.seed)
        model, lr = nb["prepare"](kind, r, fc)
        trainable, _ = nb["count_parameters"](model)
        run = nb["finetune"](model, lr, fc)
        rows[name] = dict(trainable=trainable, share=trainable / n_pretrained, val=nb["validation_loss"](model),
                          s_per_step=run["s_per_step"], adapter_kb=nb["adapter_bytes"](model) / 1024)
        print(f"  {name} done: validation loss {rows[name]['val']:.3f}", flush=True)
    return base_loss, rows


# Each method's learning-rate grid: a factor of about 2 between neighbours, wide enough that the best
# learning rate is inside it, not at an end.
SWEEP = {"full": [5e-5, 1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 5e-3],
         "last layer": [2e-4, 5e-4, 1e-3, 2e-3, 5e-3],
         "lora": [1e-3, 2e-3, 5e-3, 1e-2, 2e-2]}


def sweep(nb: dict, fc, grid: dict = SWEEP, lora_rank: int = 8) -> dict:
    """The validation loss of full, last-layer and LoRA (rank `lora_rank`) fine-tuning at each learning
    rate of `grid`, on `fc`'s budget: {method: {lr: loss}}."""
    losses = {}
    for kind, lrs in grid.items():
        r = lora_rank if kind == "lora" else None
        for lr in lrs:
            nb["torch"].manual_seed(fc.seed)
            model, _ = nb["prepare"](kind, r, fc)
            nb["finetune"](model, lr, fc)
            losses.setdefault(kind, {})[lr] = nb["validation_loss"](model)
            print(f"  sweep {kind}{'' if r is None else f' r={r}'} lr={lr:g}: validation loss {losses[kind][lr]:.4f}",
                  flush=True)
    return losses


def sweep_report(losses: dict) -> str:
    lines = ["learning-rate sweep (validation loss; * the best of each method):"]
    for kind, by_lr in losses.items():
        best = min(by_lr, key=by_lr.get)
        cells = "  ".join(f"{lr:g}: {loss:.4f}{'*' if lr == best else ' '}" for lr, loss in by_lr.items())
        lines.append(f"{kind:>11} | {cells}")
    return "\n".join(lines)


def use_dataset(nb: dict, dataset: str) -> None:
    """Point the notebook's training and validation tensors at another of the course's SFT datasets."""
    tok, device = nb["tok"], nb["device"]
    train_pairs, val_pairs = nb["load_sft_pairs"]("train", dataset), nb["load_sft_pairs"]("val", dataset)
    nb["train_set"] = {k: v.to(device) for k, v in nb["sft_tensors"](train_pairs, tok).items()}
    width = nb["train_set"]["idx"].shape[1]
    nb["val_set"] = {k: v.to(device) for k, v in nb["sft_tensors"](val_pairs, tok, length=width).items()}


def report(base_loss: float, rows: dict) -> str:
    gain = {name: base_loss - row["val"] for name, row in rows.items()}
    lines = [f"pretrained validation loss on the answers: {base_loss:.3f}",
             f"{'method':>11} | {'trainable':>9} | {'% params':>8} | {'val loss':>8} | {'% of full gain':>14} | "
             f"{'s/step':>7} | {'adapter KB':>10}"]
    for name, row in rows.items():
        lines.append(f"{name:>11} | {row['trainable']:>9,} | {row['share']:>8.2%} | {row['val']:>8.3f} | "
                     f"{gain[name] / gain['full']:>14.1%} | {row['s_per_step']:>7.4f} | {row['adapter_kb']:>10.1f}")
    if "LoRA r=8" in rows:
        share, achieved = rows["LoRA r=8"]["share"], gain["LoRA r=8"] / gain["full"]
        verdict = "met" if achieved >= 0.95 and share < 0.05 else "NOT met"
        lines.append(f"goal (LoRA r=8: >= 95% of full fine-tuning's improvement, < 5% of the parameters): {verdict}; "
                     f"measured {achieved:.1%} of the improvement with {share:.2%} of the parameters")
    lines.append(f"load average while measuring: {os.getloadavg()[0]:.2f} (1 min), on {os.cpu_count()} CPUs")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="steps per method (default: the notebook's)")
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--lora-lr", type=float)
    parser.add_argument("--full-lr", type=float)
    parser.add_argument("--last-lr", type=float)
    parser.add_argument("--targets", nargs="+", help="LoRA target modules (default: the notebook's)")
    parser.add_argument("--ranks", type=int, nargs="+")
    parser.add_argument("--threads", type=int, help="torch threads (on a shared, busy machine 1 is steadier)")
    parser.add_argument("--dataset", choices=["lines", "commands"], default="lines",
                        help="the notebook's task (lines) or the contrast task (commands)")
    parser.add_argument("--sweep", action="store_true", help="first sweep each method's learning rate")
    args = parser.parse_args()
    nb = notebook_namespace()
    if args.threads:
        nb["torch"].set_num_threads(args.threads)
    if args.dataset != "lines":
        use_dataset(nb, args.dataset)
    fc = nb["FinetuneConfig"]()
    for field, value in [("steps", args.steps), ("batch_size", args.batch_size), ("lora_ranks", args.ranks),
                         ("lora_targets", tuple(args.targets) if args.targets else None)]:
        if value is not None:
            setattr(fc, field, value)
    for key, value in [("lora", args.lora_lr), ("full", args.full_lr), ("last layer", args.last_lr)]:
        if value is not None:
            fc.lr[key] = value
    print(f"{fc} on {nb['device']}, dataset {args.dataset}", flush=True)
    if args.sweep:
        losses = sweep(nb, fc)
        print(sweep_report(losses), flush=True)
        fc.lr = {kind: min(by_lr, key=by_lr.get) for kind, by_lr in losses.items()}
        print(f"comparing at the best learning rates: {fc.lr}", flush=True)
    print(report(*compare(nb, fc)))


if __name__ == "__main__":
    main()
