"""Device choice, CPU threads and seeding, shared by every notebook's setup cell."""
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


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), not the host's count."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def default_threads(cores: int) -> int:
    """One core left for everything else, at most four threads.

    PyTorch's CPU threads spin while they wait for each other, so when another program wants a core
    they fall off a cliff: on a 2-core machine with one core busy, the gpt training step took 0.538 s
    with 2 threads against 0.063 s with one (benchmarks/cpu_threads.py). Idle, the second thread buys
    about 1.5x (0.039 s against 0.060 s); that is the price of never meeting the cliff. The course's
    models are too small for more than four threads to help."""
    return max(1, min(4, cores - 1))


def set_cpu_threads(threads: int | None = None) -> int:
    """Set PyTorch's CPU thread count and return it.

    In order: ``threads`` if given; else ``$LLMCOURSE_THREADS``; else ``$OMP_NUM_THREADS`` (which the
    grader sets for each kernel, sharing the cores among its workers), left as PyTorch read it; else
    ``default_threads`` of the usable cores."""
    chosen = threads or os.environ.get("LLMCOURSE_THREADS")
    if not chosen and os.environ.get("OMP_NUM_THREADS"):
        return torch.get_num_threads()
    count = int(chosen) if chosen else default_threads(usable_cores())
    if count < 1:
        raise ValueError(f"CPU threads must be at least 1, not {count}")
    torch.set_num_threads(count)
    return count


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch (all devices), and turn TF32 off so checks hold on any GPU."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # TF32 matmuls on Ampere and later GPUs drift by ~1e-3, more than the checks' tolerances.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
