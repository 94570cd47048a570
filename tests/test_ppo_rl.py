"""llmcourse.rl, the package side of the PPO assignment: probe environments with the answers they
claim, CartPole pictures without pygame, and no solution code where a student's kernel can read it."""
import matplotlib

matplotlib.use("Agg")

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from llmcourse import plots, rl
from tests.conftest import REPO
from tests.studentwork import secret_lines


def play(env_id, choose_action, episodes=50, gamma=0.9, seed=0):
    """Mean discounted return from each test observation, acting with choose_action(obs)."""
    env = gym.make(env_id)
    totals = {}
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        first, ret, discount, done = float(obs[0]), 0.0, 1.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(choose_action(obs))
            ret += discount * reward
            discount *= gamma
            done = terminated or truncated
        totals.setdefault(first, []).append(ret)
    env.close()
    return {obs: float(np.mean(r)) for obs, r in totals.items()}


@pytest.mark.parametrize("env_id", list(rl.PROBES))
def test_probe_known_answers_hold_for_the_best_policy(env_id):
    gamma = 0.9
    answers = rl.probe_answers(env_id, gamma=gamma)
    best = answers["best_actions"]

    def best_action(obs):
        if best is None:
            return 0
        index = [o[0] for o in answers["observations"]].index(float(obs[0]))
        return best[index]

    returns = play(env_id, best_action, gamma=gamma)
    # Every test observation that starts an episode has the stated value. (Probe 3's second
    # observation, 1, only appears mid-episode; its value is the last reward, 1.)
    for obs, value in zip(answers["observations"], answers["values"]):
        if obs[0] in returns:
            assert returns[obs[0]] == pytest.approx(value), (env_id, obs, returns)
    assert returns, env_id


@pytest.mark.parametrize("env_id", ["llmcourse/Probe4-v0", "llmcourse/Probe5-v0"])
def test_policy_probes_punish_the_wrong_action(env_id):
    answers = rl.probe_answers(env_id)
    worst = {o[0]: 1 - a for o, a in zip(answers["observations"], answers["best_actions"])}
    returns = play(env_id, lambda obs: worst[float(obs[0])])
    assert all(r == pytest.approx(-1.0) for r in returns.values())


def test_probes_work_in_a_vector_env_with_same_step_autoreset():
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("llmcourse/Probe3-v0") for _ in range(3)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, 1) and obs.dtype == np.float32
    obs, reward, terminated, _, _ = envs.step(np.zeros(3, dtype=np.int64))
    assert np.all(obs[:, 0] == 1.0) and np.all(reward == 0.0) and not terminated.any()
    obs, reward, terminated, _, _ = envs.step(np.zeros(3, dtype=np.int64))
    assert np.all(reward == 1.0) and terminated.all()
    assert np.all(obs[:, 0] == 0.0), "the episode restarts in the same step"
    envs.close()


def test_step_progress_counts_every_environment_step_and_ends_where_training_stopped():
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("llmcourse/Probe3-v0") for _ in range(3)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    wrapped = rl.StepProgress(envs, total_steps=30, desc="probe", delay=0)
    assert wrapped.single_observation_space.shape == (1,) and wrapped.single_action_space.n == 1
    obs, _ = wrapped.reset(seed=0)
    for _ in range(4):
        obs, reward, terminated, truncated, _ = wrapped.step(np.zeros(3, dtype=np.int64))
    assert wrapped.bar.n == 12 and wrapped.bar.total == 30
    wrapped.close()   # stopped early: the bar finishes at 12 of 12
    assert wrapped.bar.n == wrapped.bar.total == 12 and wrapped.bar.disable
    assert envs.closed


def test_observed_probes_show_both_observations():
    env = gym.make("llmcourse/Probe2-v0")
    seen = {float(env.reset(seed=s)[0][0]) for s in range(20)}
    assert seen == {-1.0, 1.0}


def test_draw_cartpole_and_rollout_strip_need_no_display():
    ax = plots.draw_cartpole([0.5, 0.0, 0.1, 0.0], title="frame")
    assert ax.get_title() == "frame"
    states = rl.rollout_states(lambda obs: int(obs[2] > 0), "CartPole-v1", seed=0, max_steps=60)
    assert states.ndim == 2 and states.shape[1] == 4 and 2 <= len(states) <= 61
    fig = plots.plot_rollout_strip(states, n_frames=5, title="strip")
    assert len(fig.axes) == 5
    plt.close("all")


def test_learning_curve_and_clip_objective_plots():
    ax = plots.plot_learning_curve(list(range(1, 60)), window=20, target=475)
    assert len(ax.lines) >= 3   # returns, running mean, target
    calls = []

    def loss(new, old, adv, clip):
        calls.append((new.shape, clip))
        return -(torch.exp(new - old) * adv).mean()

    ax = plots.plot_clip_objective(loss, clip_coef=0.2)
    assert calls and calls[0] == ((1,), 0.2)
    plt.close("all")


def test_package_holds_no_solution_code():
    package_text = "\n".join(p.read_text() for p in (REPO / "llmcourse").rglob("*.py"))
    leaked = [line for line in secret_lines("ppo") if line in package_text]
    assert not leaked, leaked[:5]
    for name in ("def compute_gae", "def ppo_clip_loss", "def value_loss", "def compute_grpo_advantages",
                 "def train_ppo", "class Agent"):
        assert name not in package_text
