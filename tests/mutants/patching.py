"""Wrong versions of the patching assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

GRIDS = ["test_residual_grid", "test_head_grid"]

MUTANTS = {
    "cache_holds_views": Mutant(
        [("cache[name] = output.detach().clone()", "cache[name] = output.detach()")],
        loses=["test_run_with_cache", "test_residual_grid"],
        why="the model reuses its residual buffer, so later runs overwrite what the cache points at"),
    "cache_ignores_names": Mutant(
        [("names = list(hook_points) if names is None else list(names)", "names = list(hook_points)")],
        loses=["test_run_with_cache"]),
    "logit_diff_ignores_position": Mutant(
        [("at_position = logits[:, position]", "at_position = logits[:, -1]")],
        loses=["test_logit_diff"]),
    "logit_diff_flipped": Mutant(
        [("return at_position[rows, correct] - at_position[rows, incorrect]",
          "return at_position[rows, incorrect] - at_position[rows, correct]")],
        loses=["test_logit_diff"]),
    "unnormalised_metric": Mutant(
        [("return (patched_ld - corrupted_ld) / (clean_ld - corrupted_ld)", "return patched_ld - corrupted_ld")],
        loses=["test_patching_metric", *GRIDS]),
    "metric_from_clean_end": Mutant(
        [("return (patched_ld - corrupted_ld) / (clean_ld - corrupted_ld)",
          "return (patched_ld - clean_ld) / (clean_ld - corrupted_ld)")],
        loses=["test_patching_metric", *GRIDS]),
    "patches_every_position": Mutant(
        [("        index[1] = position\n", "        pass\n")],
        loses=["test_patch_activation", "test_residual_grid"]),
    "head_sliced_on_d_head": Mutant(
        [("        index[2] = head\n", "        index[-1] = head\n")],
        loses=["test_patch_activation", "test_head_grid"], why="slices the last axis (d_head), not the head axis"),
    "head_sliced_on_axis_1": Mutant(
        [("        index[2] = head\n", "        index[1] = head\n")],
        loses=["test_patch_activation", "test_head_grid"], why="uses the pattern's (batch, head, ...) layout for hook_z"),
    "hooks_left_registered": Mutant(
        [("        handle.remove()                          # on success and on error alike",
          "        pass")],
        loses=["test_patch_activation", "test_patch_hooks_removed"]),
    "hooks_left_after_error": Mutant(
        [("""    try:
        with torch.no_grad():
            return model(corrupted_tokens)
    finally:
        handle.remove()                          # on success and on error alike""",
          """    with torch.no_grad():
        logits = model(corrupted_tokens)
    handle.remove()
    return logits""")],
        loses=["test_patch_hooks_removed"], why="no try/finally: an error in the forward pass leaves the hook on"),
    "no_no_grad": Mutant(
        [("""        with torch.no_grad():
            logits = model(tokens)
""", """        logits = model(tokens).detach()
""")],
        loses=["test_run_with_cache"], why="detaches the logits but builds the autograd graph of the whole run"),
    "no_try_finally_run_with_cache": Mutant(
        [("""    try:
        with torch.no_grad():
            logits = model(tokens)
    finally:
        for handle in handles:
            handle.remove()
""", """    with torch.no_grad():
        logits = model(tokens)
    for handle in handles:
        handle.remove()
""")],
        loses=["test_run_with_cache"], why="an error in the forward pass leaves every recording hook on the model"),
    "patch_writes_into_cache": Mutant(
        [("""        patched = output.clone()                 # leave the model's own tensor alone
        patched[index] = clean[index]
        return patched
""", """        patched = clean                          # start from the clean activation itself, not a copy
        keep = torch.ones(patched.shape, dtype=torch.bool, device=patched.device)
        keep[index] = False
        patched[keep] = output[keep]             # the unpatched part, written into the cache
        return patched
""")],
        loses=["test_patch_activation"], why="the first patch returns the right logits but leaves the cache corrupted"),
    "reversed_residual_patching": Mutant(
        [("logits = patch_activation(model, corrupted_tokens, clean_cache, name, position=position)",
          "logits = patch_activation(model, clean_tokens, run_with_cache(model, corrupted_tokens, [name])[1], name, "
          "position=position)")],
        loses=["test_residual_grid"], why="patches corrupted activations into the clean run (noising)"),
    "reversed_head_patching": Mutant(
        [("logits = patch_activation(model, corrupted_tokens, clean_cache, name, head=head)",
          "logits = patch_activation(model, clean_tokens, run_with_cache(model, corrupted_tokens, [name])[1], name, "
          "head=head)")],
        loses=["test_head_grid"], why="patches corrupted activations into the clean run (noising)"),
    "metric_of_means_per_item": Mutant(
        [("patched_ld = logit_diff(logits, correct, incorrect).mean()\n            grid[layer, head]",
          "patched_ld = logit_diff(logits, correct, incorrect)\n            grid[layer, head]"),
         ("grid[layer, head] = patching_metric(patched_ld, clean_ld, corrupted_ld)",
          "grid[layer, head] = patching_metric(patched_ld, logit_diff(clean_logits, correct, incorrect), "
          "logit_diff(corrupted_logits, correct, incorrect)).mean()")],
        loses=["test_head_grid"], why="averages per-pair metrics instead of normalising the batch means"),
    "heads_swapped": Mutant(
        [("INDUCTION_HEAD = (1", "INDUCTION_HEAD = PREVIOUS_TOKEN_HEAD\nPREVIOUS_TOKEN_HEAD = (1")],
        loses=["test_name_the_heads"]),
}


# Caught by the hidden tests of the cell they name (checked in-process when they were written), kept
# out of the default run because other wrong versions already cover their cells there.
EXTRA_MUTANTS = {
    "no_grad_nor_clone": Mutant(
        [("cache[name] = output.detach().clone()", "cache[name] = output.detach()"),
         ("""        with torch.no_grad():
            logits = model(tokens)
""", """        logits = model(tokens).detach()
""")],
        loses=["test_run_with_cache"],
        why="with gradients on the model skips its buffer, so the missing copy shows only under no_grad"),
    "position_zero_is_falsy": Mutant(
        [("    if position is not None:\n", "    if position:\n")],
        loses=["test_patch_activation", "test_residual_grid"], why="position=0 patches every position"),
}


# Caught as well (each lost points in a full grading run), but graded only with COURSE_ALL_MUTANTS=1,
# so that the default suite stays inside its time budget; the wrong versions the issue names stay in MUTANTS.
EXTRA_MUTANTS = {**globals().get("EXTRA_MUTANTS", {}), **{name: MUTANTS.pop(name) for name in (
    'cache_ignores_names',
    'logit_diff_ignores_position',
    'logit_diff_flipped',
    'metric_from_clean_end',
    'head_sliced_on_axis_1',
    'reversed_head_patching',
    'metric_of_means_per_item',
    'heads_swapped',
)}}
