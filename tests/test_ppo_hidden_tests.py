"""The PPO notebook's graded cells, run in-process against many answers at once.

tests/test_grading.py grades the issue's wrong versions through the real grader, one whole notebook
each. Here, faster, each graded cell (visible asserts and hidden tests) runs against
- more wrong versions, each of which must fail it, and
- other correct implementations (another loop order, torch.where, the population std, ...), each of
  which must pass it: a hidden test may not demand one particular way of writing the answer.
"""
import warnings

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest

from tests.conftest import REPO

SOURCE = nbformat.read(REPO / "solutions" / "ppo" / "ppo.ipynb", as_version=4)
CELLS = {c.metadata["nbgrader"]["grade_id"]: c.source for c in SOURCE.cells if "nbgrader" in c.metadata}


def namespace_with(answers: dict[str, str]) -> dict:
    """Run the setup cell and every solution cell (replaced where `answers` says) in one namespace."""
    namespace: dict = {}
    order = ["setup", "compute_gae", "ppo_clip_loss", "value_loss", "Agent", "ppo_config", "train_ppo",
             "compute_grpo_advantages"]
    for grade_id in order:
        exec(compile(answers.get(grade_id, CELLS[grade_id]), f"<{grade_id}>", "exec"), namespace)
    return namespace


def edited(grade_id: str, *edits: tuple[str, str]) -> dict[str, str]:
    source = CELLS[grade_id]
    for old, new in edits:
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return {grade_id: source}


def grade(test_id: str, answers: dict[str, str]) -> None:
    namespace = namespace_with(answers)
    exec(compile(CELLS[test_id], f"<{test_id}>", "exec"), namespace)


WRONG = {
    "gae_without_lambda": ("test_compute_gae", edited(
        "compute_gae", ("gamma * gae_lambda * not_ended * next_advantage", "gamma * not_ended * next_advantage"))),
    "gae_returns_without_values": ("test_compute_gae", edited(
        "compute_gae", ("returns = advantages + values\n", "returns = advantages\n"))),
    "gae_in_place_on_values": ("test_compute_gae", edited(
        "compute_gae", ("advantages = torch.zeros_like(values)", "advantages = values"))),
    "clip_loss_without_clipping": ("test_ppo_clip_loss", edited(
        "ppo_clip_loss", ("clipped = ratio.clamp(1 - clip_coef, 1 + clip_coef) * advantages", "clipped = unclipped"))),
    "clip_loss_summed": ("test_ppo_clip_loss", edited(
        "ppo_clip_loss", ("-torch.min(unclipped, clipped).mean()", "-torch.min(unclipped, clipped).sum()"))),
    "ratio_without_exp": ("test_ppo_clip_loss", edited("ppo_clip_loss", ("ratio = log_ratio.exp()", "ratio = log_ratio"))),
    "clip_loss_clips_advantages": ("test_ppo_clip_loss", edited(
        "ppo_clip_loss", ("clipped = ratio.clamp(1 - clip_coef, 1 + clip_coef) * advantages",
                          "clipped = ratio * advantages.clamp(-clip_coef, clip_coef)"))),
    "clip_loss_only_clipped_term": ("test_ppo_clip_loss", edited(
        "ppo_clip_loss", ("-torch.min(unclipped, clipped).mean()", "-clipped.mean()"))),
    "value_loss_only_clipped_error": ("test_value_loss", edited(
        "value_loss", ("torch.max(squared_error, clipped_squared_error)", "clipped_squared_error"))),
    "value_loss_without_half": ("test_value_loss", edited(
        "value_loss", ("return 0.5 * squared_error.mean()", "return squared_error.mean()"))),
    "value_clipped_around_returns": ("test_value_loss", edited(
        "value_loss", ("clipped_values = old_values + (new_values - old_values).clamp(-clip_coef, clip_coef)",
                       "clipped_values = returns + (new_values - returns).clamp(-clip_coef, clip_coef)"))),
    "value_clip_ignored": ("test_value_loss", edited(
        "value_loss", ("if old_values is None or clip_coef is None:", "if True:"))),
    "actor_output_gain_one": ("test_Agent", edited(
        "Agent", ("layer_init(nn.Linear(hidden_size, n_actions), gain=0.01)", "layer_init(nn.Linear(hidden_size, n_actions))"))),
    "value_of_shape_b1": ("test_Agent", edited("Agent", ("return self.critic(obs).squeeze(-1)", "return self.critic(obs)"))),
    "greedy_instead_of_sampling": ("test_Agent", edited(
        "Agent", ("action = policy.sample()", "action = policy.probs.argmax(-1)"))),
    "policy_pushed_the_wrong_way": ("test_train_ppo", edited(
        "train_ppo", ("ppo_clip_loss(new_logprobs, b_logprobs[mb], mb_advantages, cfg.clip_coef)",
                      "ppo_clip_loss(new_logprobs, b_logprobs[mb], -mb_advantages, cfg.clip_coef)"))),
    "dones_stored_after_stepping": ("test_train_ppo", edited(
        "train_ppo", ("next_done = torch.as_tensor(ended, dtype=torch.float32, device=device)",
                      "next_done = torch.as_tensor(ended, dtype=torch.float32, device=device)\n"
                      "            dones[step] = next_done"))),
    "grpo_over_whole_batch": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("mean = rewards.mean(dim=1, keepdim=True)", "mean = rewards.mean()"),
        ("std = rewards.std(dim=1, keepdim=True)", "std = rewards.std()"))),
    "grpo_without_std": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("return (rewards - mean) / (std + eps)", "return rewards - mean"))),
    "grpo_nan_to_num": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("return (rewards - mean) / (std + eps)", "return ((rewards - mean) / std).nan_to_num(0.0)"))),
    "grpo_zero_where_std_is_zero": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("return (rewards - mean) / (std + eps)",
                                    "return torch.where(std > 0, (rewards - mean) / std, torch.zeros_like(rewards))"))),
    "grpo_std_clamped_to_eps": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("return (rewards - mean) / (std + eps)", "return (rewards - mean) / std.clamp_min(eps)"))),
    "grpo_eps_too_large": ("test_compute_grpo_advantages", edited(
        "compute_grpo_advantages", ("return (rewards - mean) / (std + eps)", "return (rewards - mean) / (std + 1.0)"))),
}

CORRECT = {
    "gae_vectorised_over_a_reversed_cumsum_style_loop": ("test_compute_gae", {"compute_gae": '''
def compute_gae(rewards, values, dones, next_value, next_done, gamma, gae_lambda):
    T = rewards.shape[0]
    next_values = torch.cat([values[1:], next_value[None]], dim=0)
    not_ended = 1.0 - torch.cat([dones[1:], next_done[None]], dim=0)
    deltas = rewards + gamma * next_values * not_ended - values
    advantages = torch.empty_like(values)
    running = torch.zeros_like(values[0])
    for t in range(T - 1, -1, -1):
        running = deltas[t] + gamma * gae_lambda * not_ended[t] * running
        advantages[t] = running
    return advantages, advantages + values
'''}),
    "clip_loss_with_torch_where": ("test_ppo_clip_loss", {"ppo_clip_loss": '''
def ppo_clip_loss(new_logprobs, old_logprobs, advantages, clip_coef):
    ratio = torch.exp(new_logprobs - old_logprobs)
    low, high = 1 - clip_coef, 1 + clip_coef
    # Clipped exactly where the clip binds in the direction that would help.
    use_clip = torch.where(advantages >= 0, ratio > high, ratio < low)
    bound = torch.where(advantages >= 0, torch.full_like(ratio, high), torch.full_like(ratio, low))
    surrogate = torch.where(use_clip, bound.detach() * advantages, ratio * advantages)
    return -surrogate.mean()
'''}),
    "clip_loss_as_max_of_negatives": ("test_ppo_clip_loss", {"ppo_clip_loss": '''
def ppo_clip_loss(new_logprobs, old_logprobs, advantages, clip_coef):
    ratio = (new_logprobs - old_logprobs).exp()
    pg_loss1 = -advantages * ratio
    pg_loss2 = -advantages * torch.clamp(ratio, 1 - clip_coef, 1 + clip_coef)
    return torch.max(pg_loss1, pg_loss2).mean()
'''}),
    "value_loss_with_mse_loss": ("test_value_loss", {"value_loss": '''
def value_loss(new_values, returns, old_values=None, clip_coef=None):
    if old_values is None or clip_coef is None:
        return 0.5 * F.mse_loss(new_values, returns)
    clipped = torch.clamp(new_values, old_values - clip_coef, old_values + clip_coef)
    return 0.5 * torch.maximum((new_values - returns) ** 2, (clipped - returns) ** 2).mean()
'''.replace("F.mse_loss", "torch.nn.functional.mse_loss")}),
    "agent_with_module_lists_and_softmax": ("test_Agent", {"Agent": '''
def layer_init(layer, gain=math.sqrt(2)):
    torch.nn.init.orthogonal_(layer.weight, gain=gain)
    torch.nn.init.constant_(layer.bias, 0.0)
    return layer


class Agent(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden_size=64):
        super().__init__()
        def mlp(out, gain):
            return nn.Sequential(layer_init(nn.Linear(obs_dim, hidden_size)), nn.Tanh(),
                                 layer_init(nn.Linear(hidden_size, hidden_size)), nn.Tanh(),
                                 layer_init(nn.Linear(hidden_size, out), gain))
        self.critic = mlp(1, 1.0)
        self.actor = mlp(n_actions, 0.01)

    def get_value(self, obs):
        return self.critic(obs)[..., 0]

    def get_action_and_value(self, obs, action=None):
        probs = torch.softmax(self.actor(obs), dim=-1)
        if action is None:
            action = torch.multinomial(probs, 1)[:, 0]
        log_probs = torch.log(probs)
        logprob = log_probs.gather(-1, action[:, None])[:, 0]
        entropy = -(probs * log_probs).sum(-1)
        return action, logprob, entropy, self.get_value(obs)
'''}),
    "grpo_population_std": ("test_compute_grpo_advantages", {"compute_grpo_advantages": '''
def compute_grpo_advantages(rewards, eps=1e-6):
    centred = rewards - rewards.mean(-1, keepdim=True)
    return centred / (rewards.std(-1, keepdim=True, unbiased=False) + eps)
'''}),
    "grpo_std_from_the_variance": ("test_compute_grpo_advantages", {"compute_grpo_advantages": '''
def compute_grpo_advantages(rewards, eps=1e-6):
    centred = rewards - rewards.mean(dim=-1, keepdim=True)
    variance = (centred ** 2).sum(dim=-1, keepdim=True) / (rewards.shape[-1] - 1)
    return centred / (variance.sqrt() + eps)
'''}),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_version_fails_its_graded_cell(name):
    test_id, answers = WRONG[name]
    with pytest.raises(Exception):
        grade(test_id, answers)


@pytest.mark.parametrize("name", list(CORRECT))
def test_other_correct_version_passes_its_graded_cell(name):
    test_id, answers = CORRECT[name]
    grade(test_id, answers)


@pytest.mark.parametrize("test_id", [g for g in CELLS if g.startswith("test_")])
def test_reference_passes_every_graded_cell_without_a_warning(test_id):
    # A warning from a hidden test would reach the student's feedback, quoting the hidden line.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grade(test_id, {})
