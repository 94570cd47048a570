"""Reinforcement-learning helpers for the PPO notebook: probe environments, CartPole pictures, plots.

- Probe environments are tiny deterministic (or coin-flip) environments whose correct value
  function and best action are known in closed form. An agent that cannot learn them has a bug,
  and each probe isolates one kind of bug (value fitting, observation use, discounting, policy
  updates, policy conditioned on observations). Importing this module registers them with gymnasium
  as ``llmcourse/Probe1-v0`` ... ``llmcourse/Probe5-v0``.
- ``draw_cartpole`` draws a CartPole frame from its 4-number state with matplotlib, so no pygame or
  display is needed; ``rollout_states`` and ``plot_rollout_strip`` turn an episode into a strip of frames.
- ``plot_learning_curve`` and ``plot_clip_objective`` are the pictures the notebook shows.
- ``StepProgress`` wraps a vector environment so that its steps advance a progress bar: any
  training loop then shows the time it has left, without a line of its own.

Nothing here implements PPO: the notebook's exercises do.
"""
from typing import Callable, Sequence

import gymnasium as gym
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, Rectangle
from tqdm.auto import tqdm

# ---------------------------------------------------------------------------------------------
# A progress bar that counts environment steps
# ---------------------------------------------------------------------------------------------


class StepProgress(gym.vector.VectorWrapper):
    """``env`` with a progress bar (tqdm.auto: a widget in Jupyter, text elsewhere) that every ``step``
    advances by ``num_envs``, up to ``total_steps``: the bar shows the time a training loop has left.

    The bar appears only once the run has lasted ``delay`` seconds, so short runs show nothing. When
    training stops before ``total_steps`` (an early stop on a target return), ``close`` ends the bar
    where training ended, as a finished bar rather than a failed one."""

    def __init__(self, env: gym.vector.VectorEnv, total_steps: int, desc: str = "training", delay: float = 2.0):
        super().__init__(env)
        self.bar = tqdm(total=total_steps, desc=desc, unit="step", unit_scale=True, delay=delay)

    def step(self, actions):
        result = self.env.step(actions)
        self.bar.update(self.num_envs)
        return result

    def close(self, **kwargs):
        if not self.bar.disable and self.bar.n < self.bar.total:
            self.bar.total = self.bar.n
            widget = getattr(self.bar, "container", None)   # tqdm.notebook keeps its own maximum
            if widget is not None:
                widget.children[1].max = self.bar.n
        self.bar.close()
        return self.env.close(**kwargs)


# ---------------------------------------------------------------------------------------------
# Probe environments
# ---------------------------------------------------------------------------------------------


class ProbeEnv(gym.Env):
    """Base class: one-number observations in [-1, 1], episodes of one or two steps.

    Each probe states its known answers:
    ``test_observations`` (a list of observations, each a list of one float),
    ``expected_values(gamma)`` (the true value of each test observation under the best policy), and
    ``best_actions`` (the action an optimal policy takes in each, or None when there is one action).
    """

    n_actions = 1
    test_observations: list[list[float]] = [[0.0]]
    best_actions: list[int] | None = None
    description = ""

    def __init__(self):
        self.observation_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.action_space = gym.spaces.Discrete(self.n_actions)
        self._obs = np.zeros(1, dtype=np.float32)

    def expected_values(self, gamma: float) -> list[float]:
        raise NotImplementedError

    def _observe(self, value: float):
        self._obs = np.array([value], dtype=np.float32)
        return self._obs.copy()


class ConstantRewardProbe(ProbeEnv):
    """Probe 1. One observation (0), one action, reward +1, then the episode ends.
    The value of the observation is 1. Fails when the critic or its loss is broken."""

    description = "constant observation, reward +1, one step: V(0) = 1"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(0.0), {}

    def step(self, action):
        return self._obs.copy(), 1.0, True, False, {}

    def expected_values(self, gamma):
        return [1.0]


class ObservedRewardProbe(ProbeEnv):
    """Probe 2. The observation is -1 or +1 at random, the reward equals it, one step.
    V(-1) = -1 and V(+1) = +1. Fails when the critic ignores its input, or batches are misaligned."""

    test_observations = [[-1.0], [1.0]]
    description = "observation ±1, reward = observation, one step: V(obs) = obs"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(float(self.np_random.choice([-1.0, 1.0]))), {}

    def step(self, action):
        return self._obs.copy(), float(self._obs[0]), True, False, {}

    def expected_values(self, gamma):
        return [-1.0, 1.0]


class DelayedRewardProbe(ProbeEnv):
    """Probe 3. Two steps: observation 0 with reward 0, then observation 1 with reward +1.
    V(1) = 1 and V(0) = gamma. Fails when discounting or bootstrapping across steps is wrong."""

    test_observations = [[0.0], [1.0]]
    description = "two steps, reward +1 at the end: V(0) = gamma, V(1) = 1"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(0.0), {}

    def step(self, action):
        if self._obs[0] == 0.0:
            return self._observe(1.0), 0.0, False, False, {}
        return self._obs.copy(), 1.0, True, False, {}

    def expected_values(self, gamma):
        return [gamma, 1.0]


class ActionRewardProbe(ProbeEnv):
    """Probe 4. One observation (0), two actions: action 1 earns +1, action 0 earns -1, one step.
    The best policy always takes action 1, and then V(0) = 1. Fails when the policy loss is broken."""

    n_actions = 2
    best_actions = [1]
    description = "action 1 earns +1, action 0 earns -1: always pick 1, V(0) = 1"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(0.0), {}

    def step(self, action):
        return self._obs.copy(), 1.0 if int(action) == 1 else -1.0, True, False, {}

    def expected_values(self, gamma):
        return [1.0]


class MatchObservationProbe(ProbeEnv):
    """Probe 5. The observation is -1 or +1 at random; the action that matches it (0 for -1, 1 for +1)
    earns +1, the other -1, one step. Fails when the policy ignores the observation."""

    n_actions = 2
    test_observations = [[-1.0], [1.0]]
    best_actions = [0, 1]
    description = "observation ±1: the matching action (0 for -1, 1 for +1) earns +1, else -1"

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(float(self.np_random.choice([-1.0, 1.0]))), {}

    def step(self, action):
        wanted = 1 if self._obs[0] > 0 else 0
        return self._obs.copy(), 1.0 if int(action) == wanted else -1.0, True, False, {}

    def expected_values(self, gamma):
        return [1.0, 1.0]


PROBES = {
    "llmcourse/Probe1-v0": ConstantRewardProbe,
    "llmcourse/Probe2-v0": ObservedRewardProbe,
    "llmcourse/Probe3-v0": DelayedRewardProbe,
    "llmcourse/Probe4-v0": ActionRewardProbe,
    "llmcourse/Probe5-v0": MatchObservationProbe,
}

for _env_id, _cls in PROBES.items():
    if _env_id not in gym.registry:
        gym.register(id=_env_id, entry_point=_cls, max_episode_steps=10)


def probe_answers(env_id: str, gamma: float = 0.99) -> dict:
    """The known answers of a probe: test observations, their true values and the best actions."""
    probe = PROBES[env_id]()
    return {"observations": probe.test_observations, "values": probe.expected_values(gamma),
            "best_actions": probe.best_actions, "description": probe.description}


# ---------------------------------------------------------------------------------------------
# CartPole pictures
# ---------------------------------------------------------------------------------------------

# CartPole-v1's geometry: the episode ends when |x| > 2.4 or |theta| > 12 degrees.
X_LIMIT = 2.4
THETA_LIMIT = 12 * 2 * np.pi / 360
POLE_LENGTH = 1.0   # gymnasium's `length` is half the pole, 0.5


def draw_cartpole(state: Sequence[float], ax=None, title: str | None = None):
    """Draw one CartPole frame from its state ``(x, x_dot, theta, theta_dot)`` on a matplotlib axis.

    The pole turns red once it is past the angle at which the episode would end.
    """
    x, _, theta, _ = (float(v) for v in state)
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 2))
    cart_w, cart_h = 0.5, 0.3
    ax.plot([-X_LIMIT - 0.4, X_LIMIT + 0.4], [0, 0], color="0.4", lw=1)
    for edge in (-X_LIMIT, X_LIMIT):
        ax.plot([edge, edge], [-0.1, 0.1], color="0.6", lw=1)
    ax.add_patch(Rectangle((x - cart_w / 2, 0), cart_w, cart_h, color="tab:blue"))
    pivot = np.array([x, cart_h])
    tip = pivot + POLE_LENGTH * np.array([np.sin(theta), np.cos(theta)])
    fallen = abs(theta) > THETA_LIMIT
    ax.plot([pivot[0], tip[0]], [pivot[1], tip[1]], color="tab:red" if fallen else "tab:orange",
            lw=5, solid_capstyle="round")
    ax.add_patch(Circle(pivot, 0.05, color="0.2", zorder=3))
    ax.set_xlim(-X_LIMIT - 0.5, X_LIMIT + 0.5)
    ax.set_ylim(-0.2, cart_h + POLE_LENGTH + 0.2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def rollout_states(policy: Callable[[np.ndarray], int], env_id: str = "CartPole-v1", seed: int = 0,
                   max_steps: int = 500) -> np.ndarray:
    """Play one episode with ``policy`` (observation -> action) and return its states, (steps + 1, obs_dim)."""
    env = gym.make(env_id, max_episode_steps=max_steps)
    obs, _ = env.reset(seed=seed)
    states = [obs]
    for _ in range(max_steps):
        obs, _, terminated, truncated, _ = env.step(policy(obs))
        states.append(obs)
        if terminated or truncated:
            break
    env.close()
    return np.stack(states)


def plot_rollout_strip(states: np.ndarray, n_frames: int = 8, title: str = ""):
    """A strip of ``n_frames`` CartPole frames spread evenly over an episode's states."""
    picks = np.linspace(0, len(states) - 1, n_frames).round().astype(int)
    fig, axes = plt.subplots(1, n_frames, figsize=(1.9 * n_frames, 1.8))
    for ax, t in zip(np.atleast_1d(axes), picks):
        draw_cartpole(states[t], ax=ax, title=f"t = {t}")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def plot_learning_curve(episode_returns: Sequence[float], window: int = 20, target: float | None = 475.0,
                        ax=None, label: str | None = None):
    """Episode returns in the order episodes finished, with their running mean over ``window`` episodes."""
    returns = np.asarray(episode_returns, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    episodes = np.arange(1, len(returns) + 1)
    ax.plot(episodes, returns, ".", ms=3, alpha=0.35, color="tab:blue")
    if len(returns) >= window:
        running = np.convolve(returns, np.ones(window) / window, mode="valid")
        ax.plot(episodes[window - 1:], running, color="tab:blue", label=label or f"mean of last {window}")
    if target is not None:
        ax.axhline(target, ls="--", color="tab:green", lw=1, label=f"target {target:g}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_clip_objective(loss_fn: Callable, clip_coef: float = 0.2, ax=None):
    """Plot the per-sample objective ``-loss_fn(log r, 0, A, clip_coef)`` against the ratio r, for A = +1 and A = -1.

    ``loss_fn`` is called as ``loss_fn(new_logprobs, old_logprobs, advantages, clip_coef)`` on one
    sample at a time, so this draws whatever the function computes: it is a picture, not a check.
    """
    import torch

    ratios = np.linspace(0.4, 1.6, 241)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for advantage, color in ((1.0, "tab:green"), (-1.0, "tab:red")):
        objective = [-float(loss_fn(torch.tensor([np.log(r)]), torch.tensor([0.0]),
                                    torch.tensor([advantage]), clip_coef)) for r in ratios]
        ax.plot(ratios, objective, color=color, label=f"A = {advantage:+g}")
    for edge in (1 - clip_coef, 1 + clip_coef):
        ax.axvline(edge, ls=":", color="0.5", lw=1)
    ax.axvline(1.0, color="0.8", lw=1)
    ax.set_xlabel(r"ratio $r = \pi_\theta(a|s) / \pi_{\theta_{old}}(a|s)$")
    ax.set_ylabel("objective (higher is better)")
    ax.legend(fontsize=8)
    return ax
