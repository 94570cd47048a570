"""Wrong versions of the architecture assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # --- the catalogue, the most telling first ---
    "gqa_kv_heads_cycled": Mutant(
        [("k, v = (t.repeat_interleave(group, dim=1) for t in (k, v))",
          "k, v = (t.repeat(1, group, 1, 1) for t in (k, v))")],
        loses=["test_gqa"], why="query head h reads KV head h % n_kv_heads instead of h // group"),
    "rope_frequencies_grow": Mutant(
        [("theta = base ** (-2 * i / d_head)", "theta = base ** (2 * i / d_head)")],
        loses=["test_rope_cache"], why="the sign of the exponent: frequencies base ** (2i / d_head)"),
    "rope_half_split": Mutant(
        [("first, second = x[..., 0::2], x[..., 1::2]",
          "first, second = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]"),
         ("rotated = torch.stack((first * cos - second * sin, first * sin + second * cos), dim=-1)\n"
          "    return rotated.flatten(-2).to(x.dtype)",
          "return torch.cat((first * cos - second * sin, first * sin + second * cos), dim=-1).to(x.dtype)")],
        loses=["test_apply_rope"], why="GPT-NeoX's pairs (i, i + d/2) instead of the interleaved (2i, 2i+1)"),
    "rope_on_values": Mutant(
        [("q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)",
          "q, k, v = apply_rope(q, cos, sin), apply_rope(k, cos, sin), apply_rope(v, cos, sin)")],
        loses=["test_gqa"]),
    "swiglu_sigmoid_gate": Mutant(
        [("return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))",
          "return self.w_down(torch.sigmoid(self.w_gate(x)) * self.w_up(x))")],
        loses=["test_swiglu"], why="sigmoid instead of SiLU"),
    "swiglu_gate_and_up_swapped": Mutant(
        [("return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))",
          "return self.w_down(F.silu(self.w_up(x)) * self.w_gate(x))")],
        loses=["test_swiglu"]),
    "gqa_not_causal": Mutant(
        [("out = F.scaled_dot_product_attention(q, k, v, is_causal=True)",
          "out = F.scaled_dot_product_attention(q, k, v, is_causal=False)")],
        loses=["test_gqa"]),
    "gqa_scaled_by_d_model": Mutant(
        [("out = F.scaled_dot_product_attention(q, k, v, is_causal=True)",
          "out = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1 / math.sqrt(C))")],
        loses=["test_gqa"], why="scores divided by sqrt(d_model) instead of sqrt(d_head)"),
    "row_parallel_bias_per_shard": Mutant(
        [("partial_sums = [x_i @ w_i.T for x_i, w_i in zip(x_shards, weight_shards)]",
          "partial_sums = [x_i @ w_i.T + bias for x_i, w_i in zip(x_shards, weight_shards)]"),
         ("return torch.stack(partial_sums).sum(dim=0) + bias", "return torch.stack(partial_sums).sum(dim=0)")],
        loses=["test_column_row_parallel"], why="each rank adds the bias before the all-reduce: n times the bias"),
    "data_parallel_sums": Mutant(
        [("return {name: total / len(batches) for name, total in zip(names, totals)}",
          "return {name: total for name, total in zip(names, totals)}")],
        loses=["test_data_parallel"], why="gradients summed over ranks instead of averaged"),
    "bubble_over_busy_time": Mutant(
        [("return (n_stages - 1) / (n_microbatches + n_stages - 1)", "return (n_stages - 1) / n_microbatches")],
        loses=["test_pipeline_bubble"], why="(p - 1) / m: idle over busy time, not over the whole step"),
    "zero_stage2_divides_weights": Mutant(
        [("    if stage >= 3:\n        weights /= n_gpus", "    if stage >= 2:\n        weights /= n_gpus")],
        loses=["test_zero_memory"], why="stage 2 also partitions the 16-bit weights"),
    # --- more plausible mistakes ---
    "rope_theta_without_factor_two": Mutant(
        [("theta = base ** (-2 * i / d_head)", "theta = base ** (-i / d_head)")],
        loses=["test_rope_cache"]),
    "rope_positions_from_one": Mutant(
        [("positions = torch.arange(seq_len, dtype=torch.float32, device=device)",
          "positions = torch.arange(1, seq_len + 1, dtype=torch.float32, device=device)")],
        loses=["test_rope_cache"]),
    "rope_turns_backwards": Mutant(
        [("rotated = torch.stack((first * cos - second * sin, first * sin + second * cos), dim=-1)",
          "rotated = torch.stack((first * cos + second * sin, second * cos - first * sin), dim=-1)")],
        loses=["test_apply_rope"], why="rotates by -p * theta_i: scores still depend on m - n only, mirrored"),
    "gqa_ignores_rope_flag": Mutant(
        [("        if self.rope:\n            cos, sin", "        if True:\n            cos, sin")],
        loses=["test_gqa"]),
    "zero_stage1_also_gradients": Mutant(
        [("    if stage >= 2:\n        gradients /= n_gpus", "    if stage >= 1:\n        gradients /= n_gpus")],
        loses=["test_zero_memory"]),
}

# More wrong versions, caught too; kept out of MUTANTS so that tests/test_grading.py grades about a
# dozen copies of the notebook, not two dozen.
EXTRA_MUTANTS = {
    "rope_ignores_longer_tables": Mutant(
        [("cos, sin = cos[:seq], sin[:seq]", "pass")],
        loses=["test_apply_rope"], why="tables longer than the sequence do not broadcast"),
    "rope_in_place": Mutant(
        [("return rotated.flatten(-2).to(x.dtype)", "x.copy_(rotated.flatten(-2))\n    return x")],
        loses=["test_apply_rope"], why="overwrites the caller's x"),
    "swiglu_with_biases": Mutant(
        [("self.w_gate = nn.Linear(d_model, d_hidden, bias=False)", "self.w_gate = nn.Linear(d_model, d_hidden)")],
        loses=["test_swiglu"]),
    "gqa_heads_split_wrongly": Mutant(
        [("q = self.q_proj(x).view(B, T, self.n_heads, self.d_head).transpose(1, 2)",
          "q = self.q_proj(x).view(B, self.n_heads, T, self.d_head)")],
        loses=["test_gqa"], why="reshapes (B, T, C) straight to (B, heads, T, d_head), mixing positions and heads"),
    "gqa_rope_over_d_model": Mutant(
        [("cos, sin = rope_cache(T, self.d_head, device=x.device)", "cos, sin = rope_cache(T, C, device=x.device)")],
        loses=["test_gqa"]),
    "gqa_with_biases": Mutant(
        [("self.q_proj = nn.Linear(d_model, d_model, bias=False)", "self.q_proj = nn.Linear(d_model, d_model)")],
        loses=["test_gqa"]),
    "column_parallel_concatenates": Mutant(
        [("return [x @ w.T + b for w, b in zip(weight_shards, bias_shards)]",
          "return torch.cat([x @ w.T + b for w, b in zip(weight_shards, bias_shards)], dim=-1)")],
        loses=["test_column_row_parallel"], why="gathers the outputs: one tensor instead of the ranks' list"),
    "tensor_parallel_tanh_gelu": Mutant(
        [("hidden_shards = [F.gelu(h) for h in", "hidden_shards = [F.gelu(h, approximate=\"tanh\") for h in")],
        loses=["test_tensor_parallel_mlp"]),
    "tensor_parallel_gelu_missing": Mutant(
        [("hidden_shards = [F.gelu(h) for h in", "hidden_shards = [h for h in")],
        loses=["test_tensor_parallel_mlp"]),
    "data_parallel_leaves_grad_behind": Mutant(
        [("grads = torch.autograd.grad(loss_fn(model, batch), params, allow_unused=True)",
          "model.zero_grad()\n        loss_fn(model, batch).backward()\n        grads = [p.grad.clone() for p in params]")],
        loses=["test_data_parallel"], why="right values, but .grad is overwritten"),
    "data_parallel_last_rank_only": Mutant(
        [("totals = [t if g is None else t + g for t, g in zip(totals, grads)]",
          "totals = [g * len(batches) for g in grads]")],
        loses=["test_data_parallel"]),
    "bubble_over_all_slots_plus_one": Mutant(
        [("return (n_stages - 1) / (n_microbatches + n_stages - 1)", "return (n_stages - 1) / (n_microbatches + n_stages)")],
        loses=["test_pipeline_bubble"]),
    "zero_eight_bytes_of_optimizer_state": Mutant(
        [("12 * n_params", "8 * n_params")],
        loses=["test_zero_memory"], why="forgets the 32-bit master weights: Adam's momentum and variance only"),
    "zero_stage3_keeps_weights": Mutant(
        [("    if stage >= 3:\n        weights /= n_gpus", "    if stage >= 4:\n        weights /= n_gpus")],
        loses=["test_zero_memory"]),
}
