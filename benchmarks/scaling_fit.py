"""The `scaling` assignment's goals (issue 20), measured with the notebook's own solution cells:

    python benchmarks/scaling_fit.py

- the held-out run: the Chinchilla law fitted to the grid of `llmcourse/data/scaling_runs.json`
  predicts the held-out run's validation loss; goal: within 2%;
- the synthetic sanity check: losses made from the notebook's known constants on the runs' grid of N
  and D, with 0.1% multiplicative noise (5 noise seeds); goal: E, alpha and beta within 2%, the fitted
  law's losses within 0.2%;
- the time of one fit_chinchilla call; goal: 5 s or less.
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from solution_cells import solution_namespace  # noqa: E402

DEFINITIONS = ["setup", "transformer_flops", "fit_power_law", "fit_chinchilla", "compute_optimal"]


def main():
    ns = solution_namespace("scaling", DEFINITIONS)
    fit, loss, runs = ns["fit_chinchilla"], ns["chinchilla_loss"], ns["load_scaling_runs"]()
    N, D, L = runs["params"], runs["tokens"], runs["val_loss"]

    start = time.perf_counter()
    law = fit(N, D, L)
    seconds = [time.perf_counter() - start]
    heldout = runs["heldout"]
    predicted = loss(heldout["params"], heldout["tokens"], **law)
    error = predicted / heldout["val_loss"] - 1
    print("fitted on the grid: " + ", ".join(f"{k} = {v:.4g}" for k, v in law.items()))
    print(f"held-out run ({heldout['params']:,} parameters, {heldout['tokens']:,} tokens): predicted "
          f"{predicted:.4f}, measured {heldout['val_loss']:.4f}, error {error:+.2%} "
          f"(goal within 2%: {'met' if abs(error) <= 0.02 else 'MISSED'})")
    N_opt, D_opt = ns["compute_optimal"](heldout["flops"], **law)
    print(f"compute-optimal tokens per parameter at the held-out run's budget: {D_opt / N_opt:.1f}")

    known = dict(E=KNOWN["E"], A=KNOWN["A"], B=KNOWN["B"], alpha=KNOWN["alpha"], beta=KNOWN["beta"])
    clean = loss(N, D, **known)
    worst_constant, worst_loss = 0.0, 0.0
    for seed in range(5):
        noisy = clean * np.exp(np.random.default_rng(seed).normal(0.0, 1e-3, N.shape))
        start = time.perf_counter()
        got = fit(N, D, noisy)
        seconds.append(time.perf_counter() - start)
        errors = {k: got[k] / known[k] - 1 for k in ("E", "alpha", "beta")}
        loss_error = np.max(np.abs(loss(N, D, **got) / clean - 1))
        worst_constant = max(worst_constant, *map(abs, errors.values()))
        worst_loss = max(worst_loss, loss_error)
        print(f"synthetic, noise seed {seed}: " + ", ".join(f"{k} {v:+.2%}" for k, v in errors.items())
              + f", losses within {loss_error:.3%}")
    print(f"synthetic recovery, worst of 5: constants {worst_constant:.2%} (goal 2%: "
          f"{'met' if worst_constant <= 0.02 else 'MISSED'}), losses {worst_loss:.3%} (goal 0.2%: "
          f"{'met' if worst_loss <= 0.002 else 'MISSED'})")
    print(f"fit_chinchilla: {np.median(seconds):.2f} s median, {max(seconds):.2f} s slowest of {len(seconds)} "
          f"(goal 5 s: {'met' if max(seconds) <= 5 else 'MISSED'})")


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
