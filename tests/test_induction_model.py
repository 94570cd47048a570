"""The course's induction model: the shipped checkpoint solves its task with an identifiable circuit,
its hook points behave like TransformerLens's, and its training script runs."""

import pytest
import torch

from llmcourse.induction import (BOS, CHECKPOINT, HookPoint, InductionTransformer, induction_accuracy,
                                 load_induction_model, repeated_sequences)
from tests.conftest import load_script

HOOK_SHAPES = {  # name -> shape for a batch of 3 sequences of 10 tokens
    "hook_embed": (3, 10, 64), "hook_pos_embed": (3, 10, 64),
    **{name: shape for layer in (0, 1) for name, shape in {
        f"blocks.{layer}.hook_resid_pre": (3, 10, 64),
        f"blocks.{layer}.attn.hook_q": (3, 10, 4, 16),
        f"blocks.{layer}.attn.hook_k": (3, 10, 4, 16),
        f"blocks.{layer}.attn.hook_v": (3, 10, 4, 16),
        f"blocks.{layer}.attn.hook_attn_scores": (3, 4, 10, 10),
        f"blocks.{layer}.attn.hook_pattern": (3, 4, 10, 10),
        f"blocks.{layer}.attn.hook_z": (3, 10, 4, 16),
        f"blocks.{layer}.hook_attn_out": (3, 10, 64),
        f"blocks.{layer}.hook_resid_post": (3, 10, 64),
    }.items()},
}


@pytest.fixture(scope="module")
def model():
    return load_induction_model("cpu")


@pytest.fixture(scope="module")
def task():
    return repeated_sequences(2000, generator=torch.Generator().manual_seed(1234))


def record(model, tokens, names):
    """Copies of the activations at `names` (a test helper, not the notebook's exercise)."""
    seen = {}
    handles = [model.hook_dict[n].register_forward_hook(lambda m, i, o, n=n: seen.__setitem__(n, o.clone()))
               for n in names]
    try:
        with torch.no_grad():
            logits = model(tokens)
    finally:
        for h in handles:
            h.remove()
    return logits, seen


def test_checkpoint_is_small():
    assert CHECKPOINT.exists()
    assert CHECKPOINT.stat().st_size <= 2 * 1024 * 1024


def test_model_solves_induction(model, task):
    assert induction_accuracy(model, *task) >= 0.95


def test_task_layout():
    tokens, predictable = repeated_sequences(500, generator=torch.Generator().manual_seed(0))
    assert tokens.shape == predictable.shape == (500, 24)
    assert (tokens[:, 0] == BOS).all() and (tokens[:, 1:] != BOS).all()
    for row, mask in zip(tokens, predictable):
        where = mask.nonzero()[:, 0]
        assert len(where) >= 2
        run = len(where) + 1
        # Inside the second copy, the next token is the one `run` positions back; nothing else repeats.
        assert torch.equal(row[where + 1], row[where + 1 - run])
        assert len(row.unique()) == 24 - run


def test_hook_names_and_shapes_follow_transformerlens(model):
    assert set(model.hook_dict) == set(HOOK_SHAPES)
    assert all(isinstance(m, HookPoint) for m in model.hook_dict.values())
    tokens, _ = repeated_sequences(3, n_ctx=10, min_run=3, max_run=4, generator=torch.Generator().manual_seed(0))
    _, acts = record(model, tokens, HOOK_SHAPES)
    assert {n: tuple(a.shape) for n, a in acts.items()} == HOOK_SHAPES
    torch.testing.assert_close(acts["blocks.0.hook_resid_pre"], acts["hook_embed"] + acts["hook_pos_embed"])
    torch.testing.assert_close(acts["blocks.0.hook_resid_post"], acts["blocks.1.hook_resid_pre"])
    torch.testing.assert_close(acts["blocks.1.hook_resid_post"],
                               acts["blocks.1.hook_resid_pre"] + acts["blocks.1.hook_attn_out"])
    torch.testing.assert_close(acts["blocks.1.attn.hook_pattern"].sum(-1), torch.ones(3, 4, 10))


def test_a_hook_that_returns_a_tensor_replaces_the_activation(model):
    tokens, _ = repeated_sequences(4, generator=torch.Generator().manual_seed(0))
    # Zeroing everything layer 1 writes leaves the logits of the stream after layer 0.
    handle = model.hook_dict["blocks.1.hook_attn_out"].register_forward_hook(lambda m, i, o: torch.zeros_like(o))
    with torch.no_grad():
        logits = model(tokens)
    handle.remove()
    _, acts = record(model, tokens, ["blocks.0.hook_resid_post"])
    torch.testing.assert_close(logits, acts["blocks.0.hook_resid_post"] @ model.W_U + model.b_U)


def test_inference_reuses_the_residual_buffer_but_never_writes_into_returned_tensors(model):
    """Documented behaviour that the notebook relies on: a cache must copy what it keeps."""
    a, _ = repeated_sequences(4, generator=torch.Generator().manual_seed(0))
    b, _ = repeated_sequences(4, generator=torch.Generator().manual_seed(1))
    kept = {}
    handle = model.hook_dict["blocks.0.hook_resid_pre"].register_forward_hook(lambda m, i, o: kept.setdefault("view", o))
    with torch.no_grad():
        model(a)
    handle.remove()
    _, acts = record(model, a, ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_post"])
    assert torch.equal(kept["view"], acts["blocks.1.hook_resid_post"])          # overwritten within the run
    with torch.no_grad():
        model(b)
    assert not torch.equal(kept["view"], acts["blocks.1.hook_resid_post"])      # and by the next run
    # A tensor a hook returns is read, never written.
    returned = acts["blocks.0.hook_resid_pre"].clone()
    handle = model.hook_dict["blocks.0.hook_resid_pre"].register_forward_hook(lambda m, i, o: returned)
    with torch.no_grad():
        model(b)
    handle.remove()
    assert torch.equal(returned, acts["blocks.0.hook_resid_pre"])
    # With gradients on, every activation is a fresh tensor.
    logits = model(a)
    assert logits.requires_grad


def test_model_has_a_previous_token_head_and_an_induction_head(model, task):
    tokens, predictable = task
    _, acts = record(model, tokens[:500], ["blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"])
    previous = acts["blocks.0.attn.hook_pattern"].diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(0, 2))
    assert previous.max() > 0.6, f"no layer-0 head attends to the previous token: {previous.tolist()}"
    # At a predictable position t of the second copy, an induction head attends to t - run + 1.
    mask = predictable[:500]
    run = mask.sum(dim=1) + 1
    pattern = acts["blocks.1.attn.hook_pattern"]                          # (batch, head, query, key)
    b, t = mask.nonzero(as_tuple=True)
    induction = pattern[b, :, t, t - run[b] + 1].mean(dim=0)
    assert induction.max() > 0.6, f"no layer-1 head attends to the token after the earlier copy: {induction.tolist()}"


def test_double_precision_and_length_guard(model):
    tokens, _ = repeated_sequences(2, generator=torch.Generator().manual_seed(0))
    double = load_induction_model("cpu").double()
    with torch.no_grad():
        torch.testing.assert_close(double(tokens).float(), model(tokens), atol=1e-4, rtol=1e-4)
    with pytest.raises(ValueError, match="context"):
        model(torch.zeros(1, 25, dtype=torch.long))


def test_training_script_runs():
    script = load_script("scripts/train_induction_model.py")
    threads = torch.get_num_threads()
    try:
        trained = script.train(steps=3, log_every=1)
    finally:
        torch.set_num_threads(threads)
    assert isinstance(trained, InductionTransformer) and not trained.training
