"""Wrong versions of the attention assignment that the hidden tests must catch."""
from tests.studentwork import Mutant

MHSA = ["test_mhsa_causal", "test_mhsa_flag"]

MUTANTS = {
    "missing_scaling": Mutant(
        [("return q @ k.transpose(-2, -1) / math.sqrt(d_head)", "return q @ k.transpose(-2, -1)")],
        loses=["test_attention_scores", "test_sdpa", *MHSA]),
    "scaled_by_d_not_sqrt_d": Mutant(
        [("return q @ k.transpose(-2, -1) / math.sqrt(d_head)", "return q @ k.transpose(-2, -1) / d_head")],
        loses=["test_attention_scores"]),
    "mask_shifted_down": Mutant(
        [("dtype=torch.bool, device=device).tril()", "dtype=torch.bool, device=device).tril(-1)")],
        loses=["test_causal_mask"], why="a query cannot see itself"),
    "mask_shifted_up": Mutant(
        [("dtype=torch.bool, device=device).tril()", "dtype=torch.bool, device=device).tril(1)")],
        loses=["test_causal_mask"], why="a query sees one future token"),
    "softmax_wrong_axis": Mutant(
        [("row_max = scores.amax(dim=-1, keepdim=True)", "row_max = scores.amax(dim=-2, keepdim=True)"),
         ("total = exp.sum(dim=-1, keepdim=True)", "total = exp.sum(dim=-2, keepdim=True)")],
        loses=["test_masked_softmax"]),
    "nan_rows": Mutant(
        [("row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))", "pass")],
        loses=["test_masked_softmax"], why="fully masked rows give NaN"),
    "large_negative_fill": Mutant(
        [('scores = scores.masked_fill(~mask, float("-inf"))', "scores = scores.masked_fill(~mask, -1e9)")],
        loses=["test_masked_softmax"], why="fully masked rows come out uniform, not zero"),
    "no_max_subtraction": Mutant(
        [("exp = torch.exp(scores - row_max)", "exp = torch.exp(scores)")],
        loses=["test_masked_softmax"], why="overflows on large scores"),
    "heads_reshape_without_transpose": Mutant(
        [("t.view(B, T, self.n_heads, self.d_head).transpose(1, 2)", "t.reshape(B, self.n_heads, T, self.d_head)"),
         ("out = out.transpose(1, 2).reshape(B, T, self.d_model)", "out = out.reshape(B, T, self.d_model)")],
        loses=MHSA),
    "causal_flag_ignored_always_masked": Mutant(
        [("mask = causal_mask(T, device=x.device) if self.causal else None", "mask = causal_mask(T, device=x.device)")],
        loses=["test_mhsa_flag"]),
    "causal_flag_ignored_never_masked": Mutant(
        [("mask = causal_mask(T, device=x.device) if self.causal else None", "mask = None")],
        loses=MHSA),
    "missing_output_projection": Mutant(
        [("return self.proj(out)", "return out")],
        loses=MHSA),
}


# Caught as well (each lost points in a full grading run), but graded only with COURSE_ALL_MUTANTS=1,
# so that the default suite stays inside its time budget; the wrong versions the issue names stay in MUTANTS.
EXTRA_MUTANTS = {**globals().get("EXTRA_MUTANTS", {}), **{name: MUTANTS.pop(name) for name in (
    'scaled_by_d_not_sqrt_d',
    'mask_shifted_up',
    'large_negative_fill',
    'no_max_subtraction',
    'causal_flag_ignored_always_masked',
)}}
