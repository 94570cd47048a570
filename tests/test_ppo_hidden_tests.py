"""The PPO notebook's graded cells, run in-process against other correct implementations (another
loop order, torch.where, the population std, ...), each of which must pass: a hidden test may not
demand one particular way of writing the answer. Wrong versions are in tests/mutants/ppo.py, graded
by tests/test_wrong_versions.py; here the reference also passes every graded cell without a warning.
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


def grade(test_id: str, answers: dict[str, str]) -> None:
    namespace = namespace_with(answers)
    exec(compile(CELLS[test_id], f"<{test_id}>", "exec"), namespace)


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
