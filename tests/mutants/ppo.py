"""Wrong versions of the PPO assignment that the hidden tests must catch.

Each one costs a whole notebook run in tests/test_grading.py, so the catalogue keeps the mistakes the
issue names plus a few common ones.
"""
from tests.studentwork import Mutant

MUTANTS = {
    # compute_gae
    "gae_ignores_dones": Mutant(
        [("not_ended = 1.0 - next_done", "not_ended = 1.0"),
         ("not_ended = 1.0 - dones[t + 1]", "not_ended = 1.0")],
        loses=["test_compute_gae"], why="bootstraps across episode ends"),
    "gae_dones_off_by_one": Mutant(
        [("not_ended = 1.0 - dones[t + 1]", "not_ended = 1.0 - dones[t]")],
        loses=["test_compute_gae"], why="reads the flag of the step's own observation"),
    "gae_bootstraps_from_own_value": Mutant(
        [("following_value = values[t + 1]", "following_value = values[t]")],
        loses=["test_compute_gae"], why="bootstraps from V(s_t) instead of V(s_t+1)"),
    "gae_last_step_bootstraps_from_last_value": Mutant(
        [("following_value = next_value", "following_value = values[t]")],
        loses=["test_compute_gae"], why="ignores next_value at the end of the rollout"),
    # ppo_clip_loss
    "ratio_inverted": Mutant(
        [("log_ratio = new_logprobs - old_logprobs", "log_ratio = old_logprobs - new_logprobs")],
        loses=["test_ppo_clip_loss"]),
    "min_max_swapped": Mutant(
        [("return -torch.min(unclipped, clipped).mean()", "return -torch.max(unclipped, clipped).mean()")],
        loses=["test_ppo_clip_loss"]),
    "sign_flipped": Mutant(
        [("return -torch.min(unclipped, clipped).mean()", "return torch.min(unclipped, clipped).mean()")],
        loses=["test_ppo_clip_loss", "test_train_ppo"]),
    "clip_loss_only_clipped_term": Mutant(
        [("return -torch.min(unclipped, clipped).mean()", "return -clipped.mean()")],
        loses=["test_ppo_clip_loss"], why="without the min, a good action whose probability fell is corrected too little"),
    "ratio_of_logprobs_without_exp": Mutant(
        [("ratio = log_ratio.exp()", "ratio = new_logprobs / old_logprobs")],
        loses=["test_ppo_clip_loss"], why="treats log-probabilities as probabilities"),
    # value_loss, Agent, train_ppo
    "value_loss_without_half": Mutant(
        [("return 0.5 * squared_error.mean()", "return squared_error.mean()")],
        loses=["test_value_loss"], why="the plain loss is the mean squared error, twice the specified loss"),
    "value_clip_takes_min": Mutant(
        [("return 0.5 * torch.max(squared_error, clipped_squared_error).mean()",
          "return 0.5 * torch.min(squared_error, clipped_squared_error).mean()")],
        loses=["test_value_loss"]),
    "no_orthogonal_init": Mutant(
        [("nn.init.orthogonal_(layer.weight, gain)", "pass")],
        loses=["test_Agent"], why="keeps PyTorch's default uniform init"),
    "critic_never_trained": Mutant(
        [("loss = policy_loss + cfg.vf_coef * critic_loss - cfg.ent_coef * entropy.mean()",
          "loss = policy_loss - cfg.ent_coef * entropy.mean()")],
        loses=["test_train_ppo"]),
    # compute_grpo_advantages
    "grpo_without_eps": Mutant(
        [("return (rewards - mean) / (std + eps)", "return (rewards - mean) / std")],
        loses=["test_compute_grpo_advantages"], why="equal rewards give 0 / 0 = NaN"),
    "grpo_nan_to_num": Mutant(
        [("return (rewards - mean) / (std + eps)", "return ((rewards - mean) / std).nan_to_num(0.0)")],
        loses=["test_compute_grpo_advantages"], why="equal rewards give zeros, but near ties get full-size advantages"),
}


# Caught as well (each lost points in a full grading run), but graded only with COURSE_ALL_MUTANTS=1,
# so that the default suite stays inside its time budget; the wrong versions the issue names stay in MUTANTS.
EXTRA_MUTANTS = {**globals().get("EXTRA_MUTANTS", {}), **{name: MUTANTS.pop(name) for name in (
    'gae_dones_off_by_one',
    'gae_last_step_bootstraps_from_last_value',
    'value_clip_takes_min',
    'no_orthogonal_init',
    'critic_never_trained',
)}}
