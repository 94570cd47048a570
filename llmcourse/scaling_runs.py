"""The course's own scaling runs, for the `scaling` assignment: small character-level GPTs trained
on tiny Shakespeare over a grid of model sizes and token budgets, and one larger run held out.

    from llmcourse.scaling_runs import load_scaling_runs

    runs = load_scaling_runs()
    runs["params"], runs["tokens"], runs["flops"], runs["val_loss"]   # float64 numpy arrays, one entry a run
    runs["heldout"]         # the held-out run: a dict with the same keys (plain numbers)
    runs["short"]           # the 128-step runs, recorded apart from the grid: a dict of arrays, same keys
    runs["settings"]        # the training script's seed and hyperparameters

`params` counts non-embedding parameters (as Kaplan et al. count N), `tokens` the characters trained
on, `flops` is 6 * params * tokens, and `val_loss` the final validation loss in nats, measured as
the `gpt` assignment measures it. The grid's budgets run from 256 to 4,096 steps; the 128-step runs
of every size are kept apart (`short`): too short for the law's regime, they are not fitted. The
table, `llmcourse/data/scaling_runs.json`, is written by `scripts/train_scaling_grid.py` from its
seed; the file records the script's settings.
"""
import json
from pathlib import Path

import numpy as np

RUNS_FILE = Path(__file__).resolve().parent / "data" / "scaling_runs.json"
COLUMNS = ("params", "tokens", "flops", "val_loss")


def read_table(path: Path = RUNS_FILE) -> dict:
    """The table as written by the training script (plain JSON)."""
    return json.loads(Path(path).read_text())


def load_scaling_runs(path: Path = RUNS_FILE) -> dict:
    """The grid's runs as float64 arrays (``params``, ``tokens``, ``flops``, ``val_loss``, plus the
    architecture columns ``n_layer``, ``d_model``), the ``short`` runs kept apart (the same columns), the
    ``heldout`` run as a dict, and ``settings``."""
    table = read_table(path)

    def columns(rows):
        return {key: np.array([run[key] for run in rows], dtype=np.float64) for key in COLUMNS + ("n_layer", "d_model")}

    runs = columns(table["runs"])
    runs["short"] = columns(table.get("short_runs", []))
    runs["heldout"] = dict(table["heldout"])
    runs["settings"] = dict(table["settings"])
    return runs
