"""Wrong versions of the reasoning (GRPO) assignment that the hidden tests must catch: every one that
issue 22 lists, and a few more.

tests/test_wrong_versions.py grades every one in-process; tests/test_grading.py grades the first of
MUTANTS through the real grader (all of them with COURSE_ALL_MUTANTS=1).
"""
from tests.studentwork import Mutant

MUTANTS = {
    # grpo_loss (first: the one that best shows the grader at work)
    "ratio_against_reference": Mutant(
        [("ratio = torch.exp(logprobs - old_logprobs)", "ratio = torch.exp(logprobs - ref_logprobs)")],
        loses=["test_grpo_loss"], why="the importance ratio is to the sampling policy, not the reference"),
    "kl_sign_flipped": Mutant(
        [("log_ref_over_new = ref_logprobs - logprobs", "log_ref_over_new = logprobs - ref_logprobs")],
        loses=["test_grpo_loss"], why="exp(new - ref) - (new - ref) - 1 estimates the other KL, with a bias"),
    "beta_added": Mutant(
        [("((surrogate - beta * kl) * m)", "((surrogate + beta * kl) * m)")],
        loses=["test_grpo_loss"], why="rewards moving away from the reference"),
    "padding_counted_in_the_average": Mutant(
        [(".sum(1) / m.sum(1).clamp(min=1)", ".sum(1) / m.shape[1]")],
        loses=["test_grpo_loss"], why="short answers weigh less than long ones"),
    "clip_on_the_advantage": Mutant(
        [("ratio.clamp(1 - clip_eps, 1 + clip_eps) * adv", "ratio * adv.clamp(1 - clip_eps, 1 + clip_eps)")],
        loses=["test_grpo_loss"]),
    # verify
    "verify_raises_on_malformed_text": Mutant(
        [('    if not end or len(head) != 3 or any(c not in "0123456789" for c in head):\n        return 0.0\n', "")],
        loses=["test_verify"], why="int('06x') raises; the policy writes anything"),
    "verify_accepts_a_prefix": Mutant(
        [("head, end, _ = completion.partition(arithmetic.END)", "head, end = completion[:3], arithmetic.END")],
        loses=["test_verify"], why="'0651.' scores 1 for 65: a reward the policy can exploit"),
    # group_advantages
    "advantages_over_the_whole_batch": Mutant(
        [("mean = rewards.mean(dim=1, keepdim=True)", "mean = rewards.mean()"),
         ("std = rewards.std(dim=1, keepdim=True)", "std = rewards.std()")],
        loses=["test_group_advantages"]),
    "advantages_nan_for_equal_groups": Mutant(
        [("return (rewards - mean) / (std + eps)", "return (rewards - mean) / std")],
        loses=["test_group_advantages"], why="0 / 0 for a group whose answers are all right (or all wrong)"),
    # sample_group
    "end_token_left_out_of_the_mask": Mutant(
        [("mask.append(~done)", "mask.append(~done & (nxt != END_ID))")],
        loses=["test_sample_group"], why="the choice to stop earns no credit"),
    "logprobs_without_the_temperature": Mutant(
        [("logp = torch.log_softmax(scaled, dim=-1)", "logp = torch.log_softmax(logits[:, -1].float(), dim=-1)")],
        loses=["test_sample_group"], why="scored at temperature 1 while sampling at another: the ratio is off from the start"),
}

EXTRA_MUTANTS = {
    "advantages_nan_for_a_group_of_one": Mutant(
        [("    if rewards.shape[1] < 2:\n        return torch.zeros_like(rewards)\n", "")],
        loses=["test_group_advantages"], why="torch.std of one value is NaN"),
    "advantages_population_std": Mutant(
        [("std = rewards.std(dim=1, keepdim=True)", "std = rewards.std(dim=1, keepdim=True, unbiased=False)")],
        loses=["test_group_advantages"]),
    "empty_sequence_gives_nan": Mutant(
        [(".sum(1) / m.sum(1).clamp(min=1)", ".sum(1) / m.sum(1)")],
        loses=["test_grpo_loss"]),
    "loss_not_negated": Mutant(
        [("return -per_sequence.mean()", "return per_sequence.mean()")],
        loses=["test_grpo_loss", "test_train_grpo"], why="gradient ascent on the loss: away from what the verifier accepts"),
    "sampled_ignoring_the_temperature": Mutant(
        [("nxt = torch.multinomial(torch.softmax(scaled, dim=-1), 1, generator=generator).squeeze(1)",
          "nxt = torch.multinomial(torch.softmax(logits[:, -1].float(), dim=-1), 1, generator=generator).squeeze(1)")],
        loses=["test_sample_group"]),
    "reference_is_the_policy_itself": Mutant(
        [("reference = copy.deepcopy(model).eval().requires_grad_(False)", "reference = model")],
        loses=["test_train_grpo"], why="no frozen copy: the KL penalty is always 0"),
}
