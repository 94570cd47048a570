"""Wrong versions of the gpt assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # --- the catalogue ---
    "layernorm_eps_outside_sqrt": Mutant(
        [("return (x - mean) / torch.sqrt(variance + self.eps) * self.weight + self.bias",
          "return (x - mean) / (torch.sqrt(variance) + self.eps) * self.weight + self.bias")],
        loses=["test_layernorm"]),
    "rmsnorm_eps_outside_sqrt": Mutant(
        [("return x * torch.rsqrt(mean_square + self.eps) * self.weight",
          "return x / (torch.sqrt(mean_square) + self.eps) * self.weight")],
        loses=["test_rmsnorm"]),
    "layernorm_missing_bias": Mutant(
        [("        self.bias = nn.Parameter(torch.zeros(d))\n", ""),
         ("* self.weight + self.bias", "* self.weight")],
        loses=["test_layernorm"], why="no learnable shift"),
    "layernorm_bias_not_a_parameter": Mutant(
        [("self.bias = nn.Parameter(torch.zeros(d))", "self.bias = torch.zeros(d)")],
        loses=["test_layernorm"], why="the shift is a constant, it never learns"),
    "rmsnorm_missing_weight": Mutant(
        [("        self.weight = nn.Parameter(torch.ones(d))\n        ### END SOLUTION\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
          "        \"\"\"x: (..., d) float -> (..., d), same dtype.\"\"\"\n        ### BEGIN SOLUTION\n        mean_square",
          "        ### END SOLUTION\n\n    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
          "        \"\"\"x: (..., d) float -> (..., d), same dtype.\"\"\"\n        ### BEGIN SOLUTION\n        mean_square"),
         ("return x * torch.rsqrt(mean_square + self.eps) * self.weight", "return x * torch.rsqrt(mean_square + self.eps)")],
        loses=["test_rmsnorm"], why="no learnable scale"),
    "post_norm_block": Mutant(
        [("        x = x + self.attn(self.norm1(x))\n        x = x + self.mlp(self.norm2(x))",
          "        x = self.norm1(x + self.attn(x))\n        x = self.norm2(x + self.mlp(x))")],
        loses=["test_block"]),
    "future_leakage_norm_over_sequence": Mutant(
        [("mean = x.mean(dim=-1, keepdim=True)", "mean = x.mean(dim=(-2, -1), keepdim=True) if x.dim() > 2 else x.mean(dim=-1, keepdim=True)"),
         ("variance = (x - mean).pow(2).mean(dim=-1, keepdim=True)",
          "variance = (x - mean).pow(2).mean(dim=(-2, -1), keepdim=True) if x.dim() > 2 else (x - mean).pow(2).mean(dim=-1, keepdim=True)")],
        loses=["test_layernorm", "test_gpt_forward"], why="statistics over the whole sequence let later tokens change earlier logits"),
    "targets_not_shifted": Mutant(
        [("y = torch.stack([data[s + 1:s + 1 + block_size] for s in starts])",
          "y = torch.stack([data[s:s + block_size] for s in starts])")],
        loses=["test_get_batch"]),
    "last_start_never_drawn": Mutant(
        [("torch.randint(len(data) - block_size, (batch_size,), generator=generator)",
          "torch.randint(len(data) - block_size - 1, (batch_size,), generator=generator)")],
        loses=["test_get_batch"], why="off by one: the last window that fits is never used"),
    "top_p_drops_the_crossing_token": Mutant(
        [("mass_above = torch.cumsum(sorted_probs, dim=-1) - sorted_probs", "mass_above = torch.cumsum(sorted_probs, dim=-1)")],
        loses=["test_top_p"], why="keeps the tokens whose running total stays below p: one too few, none when the top token alone exceeds p"),
    "top_p_keeps_least_probable": Mutant(
        [("torch.sort(logits, dim=-1, descending=True)", "torch.sort(logits, dim=-1, descending=False)")],
        loses=["test_top_p"]),
    "top_p_modifies_its_input": Mutant(
        [('return logits.masked_fill(drop, float("-inf"))', 'return logits.masked_fill_(drop, float("-inf"))')],
        loses=["test_top_p"], why="writes -inf into the caller's logits"),
    "tie_by_copying_values": Mutant(
        [("self.lm_head.weight = self.token_embedding.weight", "self.lm_head.weight.data.copy_(self.token_embedding.weight.data)")],
        loses=["test_gpt_tied"]),
    # --- more plausible mistakes ---
    "layernorm_unbiased_variance": Mutant(
        [("variance = (x - mean).pow(2).mean(dim=-1, keepdim=True)", "variance = x.var(dim=-1, keepdim=True)")],
        loses=["test_layernorm"], why="divides by d - 1"),
    "temperature_multiplies": Mutant(
        [("logits = logits / temperature", "logits = logits * temperature")],
        loses=["test_generate"]),
    "context_not_cropped": Mutant(
        [("context = idx[:, -model.config.block_size:]", "context = idx")],
        loses=["test_generate"]),
    "crop_to_block_size_minus_one": Mutant(
        [("context = idx[:, -model.config.block_size:]", "context = idx[:, -(model.config.block_size - 1):]")],
        loses=["test_generate"], why="the context holds one token fewer than the model can read"),
}

# More wrong versions, caught too (check them with `python -m grader` by hand, or move them above); kept
# out of MUTANTS so that tests/test_grading.py grades about a dozen copies of the notebook, not two dozen.
EXTRA_MUTANTS = {
    "mlp_without_activation": Mutant(
        [("return self.proj(F.gelu(self.fc(x)))", "return self.proj(self.fc(x))")],
        loses=["test_block"]),
    "block_without_residual": Mutant(
        [("x = x + self.attn(self.norm1(x))", "x = self.attn(self.norm1(x))")],
        loses=["test_block"]),
    "no_position_embedding": Mutant(
        [("x = self.token_embedding(idx) + self.position_embedding(positions)", "x = self.token_embedding(idx)")],
        loses=["test_gpt_forward"]),
    "loss_summed_not_averaged": Mutant(
        [("loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))",
          "loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T), reduction=\"sum\")")],
        loses=["test_gpt_forward"]),
    "one_start_too_many": Mutant(
        [("torch.randint(len(data) - block_size, (batch_size,), generator=generator)",
          "torch.randint(len(data) - block_size + 1, (batch_size,), generator=generator)")],
        loses=["test_get_batch"], why="off by one: a start whose y runs past the end of the data"),
    "estimate_loss_leaves_eval_mode": Mutant(
        [("    model.train(was_training)\n", "")],
        loses=["test_estimate_loss"]),
    "top_k_keeps_k_plus_one": Mutant(
        [("kth_largest = torch.topk(logits, k, dim=-1).values[..., -1:]",
          "kth_largest = torch.topk(logits, min(k + 1, logits.shape[-1]), dim=-1).values[..., -1:]")],
        loses=["test_top_k"]),
    "greedy_not_special_cased": Mutant(
        [("if temperature == 0:", "if False:")],
        loses=["test_generate"], why="division by zero gives NaN probabilities"),
}


# Caught as well (each lost points in a full grading run), but graded only with COURSE_ALL_MUTANTS=1,
# so that the default suite stays inside its time budget; the wrong versions the issue names stay in MUTANTS.
EXTRA_MUTANTS = {**globals().get("EXTRA_MUTANTS", {}), **{name: MUTANTS.pop(name) for name in (
    'layernorm_unbiased_variance',
    'temperature_multiplies',
    'context_not_cropped',
    'layernorm_bias_not_a_parameter',
)}}
