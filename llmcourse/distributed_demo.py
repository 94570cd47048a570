"""One real data-parallel training step with ``torch.distributed``: two CPU processes, the gloo backend.

The architecture assignment simulates data parallelism in one process; this module does it for real,
so that the simulation can be compared with the thing itself::

    from llmcourse.distributed_demo import data_parallel_step, demo_problem

    result = data_parallel_step(world_size=2)          # spawns 2 processes, a few seconds
    result["gradients"]        # name -> the gradient every rank holds after the all-reduce
    result["rank_gradients"]   # one such dict per rank: they are identical
    result["before"], result["after"]   # the weights before and after one SGD step (rank 0's)

    model, loss_fn, batches = demo_problem(world_size=2)   # the same model, loss and per-rank batches

What each process (rank) does, as a real data-parallel job does on every step:

1. ``init_process_group("gloo")`` joins the group, through ``MASTER_ADDR=127.0.0.1`` and a free port;
2. it builds the model from the same seed, then ``broadcast`` copies rank 0's weights to every rank
   (real jobs do this once, so that all replicas start identical);
3. it computes the mean loss of *its own* slice of the batch and calls ``backward``;
4. ``all_reduce`` adds every parameter's gradient over the ranks, in place, on every rank; dividing
   by the number of ranks makes it the gradient of the whole batch's mean loss;
5. every rank takes the same SGD step, so the replicas stay identical without ever sending weights.

PyTorch's ``DistributedDataParallel`` does steps 2 and 4 for you (overlapping the all-reduce with the
backward pass, in buckets); here they are written out. Nothing here is graded.
"""
import os
import socket
import tempfile
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn
import torch.nn.functional as F

IN_FEATURES, HIDDEN, OUT_FEATURES = 6, 16, 3


def demo_problem(world_size: int = 2, per_rank: int = 8, seed: int = 0):
    """The model, the loss and one batch slice per rank that the demo step uses.

    Returns ``(model, loss_fn, batches)``: a small MLP regressor (float64, on the CPU),
    ``loss_fn(model, (x, y))`` the mean squared error, and ``batches`` a list of ``world_size``
    ``(x, y)`` pairs of ``per_rank`` examples each.
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(IN_FEATURES, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, OUT_FEATURES)).double()
    x = torch.randn(world_size * per_rank, IN_FEATURES, generator=generator, dtype=torch.float64)
    y = torch.randn(world_size * per_rank, OUT_FEATURES, generator=generator, dtype=torch.float64)
    batches = list(zip(x.split(per_rank), y.split(per_rank)))
    return model, mse_loss, batches


def mse_loss(model: nn.Module, batch) -> torch.Tensor:
    x, y = batch
    return F.mse_loss(model(x), y)


def free_port() -> int:
    """A TCP port on the loopback interface that nobody is listening on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank_main(rank: int, world_size: int, port: int, lr: float, per_rank: int, seed: int, out_dir: str) -> None:
    """What one process does: join the group, one data-parallel SGD step, save what it saw."""
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        model, loss_fn, batches = demo_problem(world_size, per_rank, seed)
        for tensor in model.state_dict().values():      # every replica starts from rank 0's weights
            dist.broadcast(tensor, src=0)
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        loss = loss_fn(model, batches[rank])              # this rank's slice only
        loss.backward()
        for p in model.parameters():
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)  # now the sum over ranks, on every rank
            p.grad /= world_size
        gradients = {name: p.grad.detach().clone() for name, p in model.named_parameters()}
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        after = {name: p.detach().clone() for name, p in model.named_parameters()}
        torch.save({"rank": rank, "local_loss": loss.item(), "gradients": gradients, "before": before, "after": after},
                   Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def data_parallel_step(world_size: int = 2, lr: float = 0.1, per_rank: int = 8, seed: int = 0) -> dict:
    """Run one data-parallel SGD step of ``demo_problem`` in ``world_size`` processes.

    Returns ``gradients`` (rank 0's averaged gradients, name -> tensor), ``rank_gradients`` (one
    dict per rank), ``local_losses`` (each rank's loss on its own slice), and rank 0's weights
    ``before`` and ``after`` the step.
    """
    with tempfile.TemporaryDirectory(prefix="llmcourse-ddp-") as out_dir:
        mp.start_processes(_rank_main, args=(world_size, free_port(), lr, per_rank, seed, out_dir),
                           nprocs=world_size, join=True, start_method="spawn")
        ranks = [torch.load(Path(out_dir) / f"rank{r}.pt", weights_only=True) for r in range(world_size)]
    return {"gradients": ranks[0]["gradients"],
            "rank_gradients": [r["gradients"] for r in ranks],
            "local_losses": [r["local_loss"] for r in ranks],
            "before": ranks[0]["before"], "after": ranks[0]["after"]}
