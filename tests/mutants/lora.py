"""Wrong versions of the lora assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MUTANTS = {
    # --- the catalogue ---
    "b_random_at_init": Mutant(
        [("self.B = nn.Parameter(torch.zeros(base.out_features, r, **like))",
          "self.B = nn.Parameter(torch.randn(base.out_features, r, **like))")],
        loses=["test_lora_init"], why="the adapted model no longer starts as the pretrained one"),
    "scaling_r_over_alpha": Mutant(
        [("self.scaling = alpha / r", "self.scaling = r / alpha")],
        loses=["test_lora_init", "test_lora_forward"]),
    "base_not_frozen": Mutant(
        [("        for param in self.base.parameters():\n            param.requires_grad_(False)\n        like", "        like")],
        loses=["test_lora_grads"], why="the pretrained weight trains too: it is full fine-tuning plus an adapter"),
    "merge_without_scaling": Mutant(
        [("merged.weight.copy_(self.base.weight + self.scaling * (self.B @ self.A))",
          "merged.weight.copy_(self.base.weight + self.B @ self.A)")],
        loses=["test_lora_merge"]),
    "a_and_b_transposed": Mutant(
        [("self.A = nn.Parameter(torch.empty(r, base.in_features, **like))",
          "self.A = nn.Parameter(torch.empty(base.in_features, r, **like))"),
         ("self.B = nn.Parameter(torch.zeros(base.out_features, r, **like))",
          "self.B = nn.Parameter(torch.zeros(r, base.out_features, **like))"),
         ("low_rank = self.dropout(x) @ self.A.T @ self.B.T", "low_rank = self.dropout(x) @ self.A @ self.B"),
         ("(self.B @ self.A)", "(self.A @ self.B).T")],
        loses=["test_lora_init"], why="A is (r, in_features) and B is (out_features, r)"),
    "mask_inverted": Mutant(
        [("return per_position[scored].mean()", "return per_position[~scored].mean()")],
        loses=["test_sft_loss"], why="trains on the prompt, not on the response"),
    "loss_mean_of_row_means": Mutant(
        [("return per_position[scored].mean()",
          "per_row = (per_position * scored).view(loss_mask.shape).sum(1) / loss_mask.sum(1)\n"
          "    return per_row.mean()")],
        loses=["test_sft_loss"], why="a short answer's characters weigh more than a long answer's"),
    "merge_in_place": Mutant(
        [("""has_bias = self.base.bias is not None
        merged = nn.Linear(self.base.in_features, self.base.out_features, bias=has_bias,
                           device=self.base.weight.device, dtype=self.base.weight.dtype)
        merged.weight.copy_(self.base.weight + self.scaling * (self.B @ self.A))
        if has_bias:
            merged.bias.copy_(self.base.bias)
        return merged""",
          """self.base.weight += self.scaling * (self.B @ self.A)
        return self.base""")],
        loses=["test_lora_merge"], why="the LoRA layer then adds its update twice"),
    "loss_averaged_over_all_positions": Mutant(
        [("return per_position[scored].mean()", "return (per_position * scored).sum() / scored.numel()")],
        loses=["test_sft_loss"], why="divides by every position, so the loss shrinks with the prompt's length"),
    # --- more plausible mistakes ---
    "inject_does_not_freeze": Mutant(
        [("    for param in model.parameters():\n        param.requires_grad_(False)\n    targets",
          "    targets")],
        loses=["test_inject_lora"], why="embeddings, norms and the untargeted layers still train"),
    "inject_matches_substrings": Mutant(
        [("any(name.endswith(t) for t in target_modules)", "any(t in name for t in target_modules)")],
        loses=["test_inject_lora"], why="'attn' is inside 'layers.0.attn.qkv' but is not how that name ends"),
    "count_only_trainable": Mutant(
        [("total = sum(p.numel() for p in model.parameters())",
          "total = sum(p.numel() for p in model.parameters() if p.requires_grad)")],
        loses=["test_count_parameters"]),
}

# More wrong versions, caught too (each lost points when graded through the real grader: mask_ignored
# scored 10/15, zero_a_and_b 11/15); kept out of MUTANTS so that tests/test_grading.py grades fewer copies.
EXTRA_MUTANTS = {
    "mask_ignored": Mutant(
        [("return per_position[scored].mean()", "return per_position.mean()")],
        loses=["test_sft_loss"]),
    "zero_a_and_b": Mutant(
        [("nn.init.kaiming_uniform_(self.A, a=math.sqrt(5))", "nn.init.zeros_(self.A)")],
        loses=["test_lora_init", "test_lora_grads"], why="with A and B both zero, neither ever gets a gradient"),
}
