"""Reinforcement-learning helpers for the PPO notebook: probe environments, episodes, progress.

- Probe environments are tiny deterministic (or coin-flip) environments whose correct value
  function and best action are known in closed form. An agent that cannot learn them has a bug,
  and each probe isolates one kind of bug (value fitting, observation use, discounting, policy
  updates, policy conditioned on observations). Importing this module registers them with gymnasium
  as ``llmcourse/Probe1-v0`` ... ``llmcourse/Probe5-v0``.
- ``rollout_states`` plays one episode and returns its states, for ``llmcourse.plots.plot_rollout_strip``.
- ``same_step_vector_env`` makes a vector environment that resets an episode in the step in which
  it ends, whatever the installed gymnasium calls that.
- ``StepProgress`` wraps a vector environment so that its steps advance a progress bar: any
  training loop then shows the time it has left, without a line of its own.

Nothing here implements PPO: the notebook's exercises do.
"""
from typing import Callable

import gymnasium as gym
import numpy as np
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
# CartPole episodes (llmcourse.plots draws them)
# ---------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------------------------


def same_step_vector_env(env_fns: list[Callable[[], gym.Env]]) -> gym.vector.SyncVectorEnv:
    """A SyncVectorEnv that resets each environment in the same step in which its episode ends, so
    that every observation it returns is one to act on (what CleanRL's loop assumes). Gymnasium 1.1
    and later let us ask for that; before 1.0 it was the only behaviour; 1.0 alone resets one step late."""
    if hasattr(gym.vector, "AutoresetMode"):
        return gym.vector.SyncVectorEnv(env_fns, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    if int(gym.__version__.split(".")[0]) < 1:
        return gym.vector.SyncVectorEnv(env_fns)
    raise RuntimeError(f"gymnasium {gym.__version__} resets one step late; run `pip install -U gymnasium`")
