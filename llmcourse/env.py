"""Device choice and seeding, shared by every notebook's setup cell."""
import os
import random

import numpy as np
import torch


def get_device(prefer: str | None = None) -> torch.device:
    """The device to run on: ``prefer`` if given, else ``$LLMCOURSE_DEVICE``, else CUDA when present, else CPU."""
    name = prefer or os.environ.get("LLMCOURSE_DEVICE")
    if name:
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} was asked for, but CUDA is not available here")
        return device
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (all devices), and turn TF32 off so checks hold on any GPU."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # TF32 matmuls on Ampere and later GPUs drift by ~1e-3, more than the checks' tolerances.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
