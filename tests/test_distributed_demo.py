"""The real data-parallel step of llmcourse.distributed_demo (two processes, gloo) gives every rank
the gradient of the whole batch, computed here in one process, and the same SGD step."""
import torch

from llmcourse.distributed_demo import data_parallel_step, demo_problem


def test_two_processes_average_to_the_full_batch_gradient():
    world_size, lr = 2, 0.1
    result = data_parallel_step(world_size=world_size, lr=lr)
    model, loss_fn, batches = demo_problem(world_size=world_size)
    # the whole batch in one process, one backward: the gradient data parallelism must reproduce
    whole = tuple(torch.cat(parts) for parts in zip(*batches))
    names, params = zip(*model.named_parameters())
    expected = dict(zip(names, torch.autograd.grad(loss_fn(model, whole), params)))
    assert set(result["gradients"]) == set(expected)
    for rank_gradients in result["rank_gradients"]:
        for name in names:
            torch.testing.assert_close(rank_gradients[name], expected[name], atol=1e-12, rtol=1e-10)
    # each rank saw a different slice: its own loss differs from the other's
    assert len(set(result["local_losses"])) == world_size
    for name, param in zip(names, params):
        torch.testing.assert_close(result["before"][name], param.detach())
        torch.testing.assert_close(result["after"][name], param.detach() - lr * expected[name], atol=1e-12, rtol=1e-10)
