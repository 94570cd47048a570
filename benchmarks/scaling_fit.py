"""The `scaling` assignment's goals (issue 20), measured with the notebook's own solution cells:

    python benchmarks/scaling_fit.py

- the held-out run: the Chinchilla law fitted to the grid of `llmcourse/data/scaling_runs.json` (5 sizes
  by budgets of 256 to 4,096 steps) predicts the held-out run's validation loss; goal: within 2%. Also
  printed: the same fit with the 128-step runs, kept apart in the table, put back;
- the synthetic sanity check: losses made from the notebook's known constants on the runs' grid of N
  and D, with 0.1% multiplicative noise, for the notebook's draw (noise seed 0) and over 20 draws;
  goal: E, alpha and beta within 2%, the fitted law's losses within 0.2%;
- the time of one fit_chinchilla call, wall and CPU; goal: 5 s or less.

Measured on the course's 2-core machine shared with five other helpers' work (a load of 8 to 12), torch
2.13 on one thread: held-out error +1.21% (met); +1.87% with the short runs put back (the first grid,
128 to 2,048 steps, gave +3.74%). Synthetic: noise seed 0 gives E -0.38%, alpha +1.87%, beta -1.00%,
losses within 0.063% (met); over 20 draws the largest constant error has a median of 1.47%, is within
2% in 14 draws, and is 3.64% at worst (the goal is met for most draws, not all: the precision 25 runs
and 0.1% noise allow; in each of the 6 missed draws a fit from 1,500 starts reached the same objective,
to 3e-6 relative, and the same constants, so the 16 starts do find the optimum); the losses are within 0.17% in every draw (met). fit_chinchilla, 21 calls: 0.94 s
of CPU time median, 2.10 s most (met); the wall time, 3.46 s median and 9.06 s slowest, counts the waits
for a core on the contended machine (a load of 6 to 8 during that run), so it does not measure the goal.
The whole script: 88 s wall, 25 s CPU.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

DEFINITIONS = ["setup", "transformer_flops", "fit_power_law", "fit_chinchilla", "compute_optimal"]
DRAWS = 20   # noise draws for the synthetic check


def main():
    ns = solution_namespace("scaling", DEFINITIONS)
    fit, loss, runs = ns["fit_chinchilla"], ns["chinchilla_loss"], ns["load_scaling_runs"]()
    N, D, L = runs["params"], runs["tokens"], runs["val_loss"]
    heldout = runs["heldout"]

    def heldout_error(law):
        predicted = loss(heldout["params"], heldout["tokens"], **law)
        return predicted, predicted / heldout["val_loss"] - 1

    start, cpu = time.perf_counter(), time.process_time()
    law = fit(N, D, L)
    seconds, cpu_seconds = [time.perf_counter() - start], [time.process_time() - cpu]
    predicted, error = heldout_error(law)
    print(f"fitted on the grid's {len(L)} runs: " + ", ".join(f"{k} = {v:.4g}" for k, v in law.items()))
    print(f"held-out run ({heldout['params']:,} parameters, {heldout['tokens']:,} tokens): predicted "
          f"{predicted:.4f}, measured {heldout['val_loss']:.4f}, error {error:+.2%} "
          f"(goal within 2%: {'met' if abs(error) <= 0.02 else 'MISSED'})")
    short = runs["short"]
    with_short = fit(*(np.concatenate([runs[k], short[k]]) for k in ("params", "tokens", "val_loss")))
    print(f"  the same fit with the {len(short['val_loss'])} short runs (kept apart) added: held-out error "
          f"{heldout_error(with_short)[1]:+.2%}")
    N_opt, D_opt = ns["compute_optimal"](heldout["flops"], **law)
    print(f"compute-optimal tokens per parameter at the held-out run's budget: {D_opt / N_opt:.1f}")

    known = dict(E=KNOWN["E"], A=KNOWN["A"], B=KNOWN["B"], alpha=KNOWN["alpha"], beta=KNOWN["beta"])
    clean = loss(N, D, **known)
    constant_errors, loss_errors = [], []
    for seed in range(DRAWS):
        noisy = clean * np.exp(np.random.default_rng(seed).normal(0.0, 1e-3, N.shape))
        start, cpu = time.perf_counter(), time.process_time()
        got = fit(N, D, noisy)
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu)
        errors = {k: got[k] / known[k] - 1 for k in ("E", "alpha", "beta")}
        constant_errors.append(max(map(abs, errors.values())))
        loss_errors.append(np.max(np.abs(loss(N, D, **got) / clean - 1)))
        if seed == 0:
            print("synthetic, noise seed 0 (the notebook's draw): " + ", ".join(f"{k} {v:+.2%}" for k, v in errors.items())
                  + f", losses within {loss_errors[-1]:.3%} (goal: "
                  f"{'met' if constant_errors[-1] <= 0.02 and loss_errors[-1] <= 0.002 else 'MISSED'})")
    constant_errors, loss_errors = np.array(constant_errors), np.array(loss_errors)
    print(f"synthetic, {DRAWS} noise draws: largest constant error median {np.median(constant_errors):.2%}, "
          f"90th percentile {np.quantile(constant_errors, 0.9):.2%}, worst {constant_errors.max():.2%}; "
          f"{np.sum(constant_errors <= 0.02)} of {DRAWS} draws within 2%; losses within "
          f"{loss_errors.max():.3%} in every draw (goal 0.2%: {'met' if loss_errors.max() <= 0.002 else 'MISSED'})")
    print(f"fit_chinchilla, {len(seconds)} calls: wall time {np.median(seconds):.2f} s median, {max(seconds):.2f} s "
          f"slowest (goal 5 s: {'met' if max(seconds) <= 5 else 'MISSED'}); CPU time {np.median(cpu_seconds):.2f} s "
          f"median, {max(cpu_seconds):.2f} s most (goal 5 s: {'met' if max(cpu_seconds) <= 5 else 'MISSED'}); "
          "on a busy machine the wall time counts the waits for a core")
    print(f"process CPU time {time.process_time():.1f} s")


def _known_constants() -> dict:
    """The notebook's KNOWN constants, read from its sanity-check cell."""
    ns = {"dict": dict}
    source = solution_namespace.__globals__["nbformat"].read(
        Path(__file__).resolve().parents[1] / "solutions" / "scaling" / "scaling.ipynb", as_version=4)
    cell = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "sanity_check")
    exec(next(line for line in cell.splitlines() if line.startswith("KNOWN = ")), ns)
    return ns["KNOWN"]


KNOWN = _known_constants()

if __name__ == "__main__":
    main()
