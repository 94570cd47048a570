"""Wrong versions of the PPO assignment that the hidden tests must catch.

tests/test_wrong_versions.py grades every one in-process; tests/test_grading.py grades the first of
MUTANTS through the real grader (all of them with COURSE_ALL_MUTANTS=1).
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


# Further wrong versions, each caught by the one graded cell it names (tests/test_wrong_versions.py
# grades them in-process; they used to live in tests/test_ppo_hidden_tests.py).
EXTRA_MUTANTS.update({
    'gae_without_lambda': Mutant([('gamma * gae_lambda * not_ended * next_advantage', 'gamma * not_ended * next_advantage')], loses=['test_compute_gae']),
    'gae_returns_without_values': Mutant([('returns = advantages + values\n', 'returns = advantages\n')], loses=['test_compute_gae']),
    'gae_in_place_on_values': Mutant([('advantages = torch.zeros_like(values)', 'advantages = values')], loses=['test_compute_gae']),
    'clip_loss_without_clipping': Mutant([('clipped = ratio.clamp(1 - clip_coef, 1 + clip_coef) * advantages', 'clipped = unclipped')], loses=['test_ppo_clip_loss']),
    'clip_loss_summed': Mutant([('-torch.min(unclipped, clipped).mean()', '-torch.min(unclipped, clipped).sum()')], loses=['test_ppo_clip_loss']),
    'ratio_without_exp': Mutant([('ratio = log_ratio.exp()', 'ratio = log_ratio')], loses=['test_ppo_clip_loss']),
    'clip_loss_clips_advantages': Mutant([('clipped = ratio.clamp(1 - clip_coef, 1 + clip_coef) * advantages', 'clipped = ratio * advantages.clamp(-clip_coef, clip_coef)')], loses=['test_ppo_clip_loss']),
    'value_loss_only_clipped_error': Mutant([('torch.max(squared_error, clipped_squared_error)', 'clipped_squared_error')], loses=['test_value_loss']),
    'value_clipped_around_returns': Mutant([('clipped_values = old_values + (new_values - old_values).clamp(-clip_coef, clip_coef)', 'clipped_values = returns + (new_values - returns).clamp(-clip_coef, clip_coef)')], loses=['test_value_loss']),
    'value_clip_ignored': Mutant([('if old_values is None or clip_coef is None:', 'if True:')], loses=['test_value_loss']),
    'actor_output_gain_one': Mutant([('layer_init(nn.Linear(hidden_size, n_actions), gain=0.01)', 'layer_init(nn.Linear(hidden_size, n_actions))')], loses=['test_Agent']),
    'value_of_shape_b1': Mutant([('return self.critic(obs).squeeze(-1)', 'return self.critic(obs)')], loses=['test_Agent']),
    'greedy_instead_of_sampling': Mutant([('action = policy.sample()', 'action = policy.probs.argmax(-1)')], loses=['test_Agent']),
    'policy_pushed_the_wrong_way': Mutant([('ppo_clip_loss(new_logprobs, b_logprobs[mb], mb_advantages, cfg.clip_coef)', 'ppo_clip_loss(new_logprobs, b_logprobs[mb], -mb_advantages, cfg.clip_coef)')], loses=['test_train_ppo']),
    'dones_stored_after_stepping': Mutant([('next_done = torch.as_tensor(ended, dtype=torch.float32, device=device)', 'next_done = torch.as_tensor(ended, dtype=torch.float32, device=device)\n            dones[step] = next_done')], loses=['test_train_ppo']),
    'grpo_over_whole_batch': Mutant([('mean = rewards.mean(dim=1, keepdim=True)', 'mean = rewards.mean()'), ('std = rewards.std(dim=1, keepdim=True)', 'std = rewards.std()')], loses=['test_compute_grpo_advantages']),
    'grpo_without_std': Mutant([('return (rewards - mean) / (std + eps)', 'return rewards - mean')], loses=['test_compute_grpo_advantages']),
    'grpo_zero_where_std_is_zero': Mutant([('return (rewards - mean) / (std + eps)', 'return torch.where(std > 0, (rewards - mean) / std, torch.zeros_like(rewards))')], loses=['test_compute_grpo_advantages']),
    'grpo_std_clamped_to_eps': Mutant([('return (rewards - mean) / (std + eps)', 'return (rewards - mean) / std.clamp_min(eps)')], loses=['test_compute_grpo_advantages']),
    'grpo_eps_too_large': Mutant([('return (rewards - mean) / (std + eps)', 'return (rewards - mean) / (std + 1.0)')], loses=['test_compute_grpo_advantages']),
})
