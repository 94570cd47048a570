"""The course's preference data and its labeller (the `rlhf` assignment).

``llmcourse/data/preferences.jsonl`` holds pairs of completions of the same prompt by the course's
pretrained character-level GPT, and which of the two a fixed *labeller* preferred. It is made by
``scripts/make_preferences.py`` from tiny Shakespeare and a fixed seed (its docstring says how):

- a **prompt** is the first ``PROMPT_CHARS`` (16) characters of a line of a speech of the plays;
- a **response** is what the pretrained model samples after it, up to and including the first
  newline, at most ``RESPONSE_CHARS`` (40) characters: the model finishes the line. The two
  responses of a pair are sampled at different temperatures, ``TEMPERATURES`` (0.7 and 1.3), as real
  preference data compares answers of different models or settings: a cooler line is usually more
  conventional, a hotter one more inventive, and neither always wins;
- the **labeller** reads the whole line, prompt and response, and scores it with :func:`utility`;
  it prefers ``a`` to ``b`` with the Bradley-Terry probability
  ``P(a > b) = sigmoid(SCALE * (utility(a) - utility(b)))`` with ``SCALE = 1``
  (:func:`preference_probability`) and draws its choice from that probability, as a noisy human
  rater would.

``utility(line)`` is the number of *distinct* real words of the line: words of the plays (of tiny
Shakespeare's training part), compared in lower case without their punctuation, each counted once
however often it recurs. Invented words add nothing and repeating a word adds nothing, so no separate
penalty for repetition is needed. A line of no words scores 0. A reader can check it by eye:
``"the king is dead"`` scores 4, ``"the kint of hearh"`` 2, ``"the king the king"`` 2. One more real
word is preferred 73% of the time (``sigmoid(1)``), two more 88%, three more 95%.

A count rather than a share: with a share, a line of two real words ties a line of eight, and a
model could please the labeller by saying almost nothing (an earlier version of this data, with a
share, taught DPO to write shorter lines). A count rewards saying more in real words, so a policy
that pleases it may also do so by writing longer lines: the notebook measures both.

Because the labeller's choices are random, no reward model can agree with all of them: the best
possible accuracy on a pair is ``max(p, 1 - p)``, and its mean over the data, :func:`accuracy_ceiling`,
is the *ceiling* that a reward model's held-out accuracy is compared with.

- :func:`load_preferences` gives the ``"train"`` (6,000) or ``"val"`` (1,000) pairs as
  ``(prompt, chosen, rejected)`` string triples; :func:`load_fresh_prompts` 200 prompts from the
  last 10% of tiny Shakespeare, which the pretrained model never saw and the pairs never use.
- :func:`preference_tensors` pads pairs into tensors (``tokens``, ``lengths``, ``response_mask``).
- :func:`sample_completions` samples completions of prompts of equal length, for any model of
  :mod:`llmcourse.pretrained`'s ``GPT`` class.
"""
import json
import math
import re
from functools import lru_cache
from pathlib import Path

import torch

PREFERENCES = Path(__file__).with_name("data") / "preferences.jsonl"
PROMPT_CHARS, RESPONSE_CHARS = 16, 40
TEMPERATURES = (0.7, 1.3)   # the sampling temperatures of the two responses of each pair
SCALE = 1.0            # the labeller's Bradley-Terry scale: one more real word is preferred 73% of the time, two 88%
N_TRAIN, N_VAL, N_FRESH = 6000, 1000, 200
VOCAB_FRACTION = 0.9   # real words are those of the text the pretrained model was trained on (its first 90%)


def words_of(text: str) -> list[str]:
    """The words of ``text`` as the labeller compares them: lower case, letters and apostrophes only."""
    return [w for w in (re.sub(r"[^a-z']", "", token.lower()).strip("'") for token in text.split()) if w]


def play_vocabulary(text: str | None = None) -> frozenset:
    """Every word of the first 90% of tiny Shakespeare (12,267 of them), as :func:`words_of` reads
    them. ``text`` is tiny Shakespeare (read with ``llmcourse.data.load_tiny_shakespeare`` when None)."""
    if text is None:
        from llmcourse.data import load_tiny_shakespeare
        text = load_tiny_shakespeare()
    return _vocabulary(text)


@lru_cache(maxsize=1)
def _vocabulary(text: str) -> frozenset:
    return frozenset(words_of(text[: int(VOCAB_FRACTION * len(text))]))


def utility(line: str, vocabulary=None) -> float:
    """The labeller's score of a line: the number of distinct real words (words of the plays) in it."""
    vocabulary = play_vocabulary() if vocabulary is None else vocabulary
    return float(len(set(words_of(line)) & vocabulary))


def preference_probability(line_a: str, line_b: str, vocabulary=None) -> float:
    """The labeller's probability of preferring ``line_a`` to ``line_b``: sigmoid(SCALE * (u(a) - u(b)))."""
    gap = utility(line_a, vocabulary) - utility(line_b, vocabulary)
    return 1.0 / (1.0 + math.exp(-SCALE * gap))


def accuracy_ceiling(pairs, vocabulary=None) -> float:
    """The best accuracy any reward model can expect on ``pairs`` of (prompt, a, b): the mean of
    max(p, 1 - p), where p is the labeller's probability of preferring a."""
    probs = [preference_probability(prompt + a, prompt + b, vocabulary) for prompt, a, b in pairs]
    return sum(max(p, 1 - p) for p in probs) / len(probs)


def _read():
    rows = [json.loads(line) for line in PREFERENCES.read_text(encoding="utf-8").splitlines() if line]
    assert len(rows) == N_TRAIN + N_VAL + N_FRESH, f"{PREFERENCES} holds {len(rows)} rows"
    return rows


def load_preferences(split: str = "train") -> list[tuple[str, str, str]]:
    """The ``split`` (``"train"``: 6,000 pairs, ``"val"``: 1,000) as ``(prompt, chosen, rejected)``:
    the responses include their final newline when the model wrote one."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', not {split!r}")
    return [(r["prompt"], r["chosen"], r["rejected"]) for r in _read() if r["split"] == split]


def load_fresh_prompts() -> list[str]:
    """200 prompts from the last 10% of tiny Shakespeare: for judging a policy on prompts it never saw."""
    return [r["prompt"] for r in _read() if r["split"] == "fresh"]


def preference_tensors(prompts, responses, tokenizer, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Right-padded tensors of ``prompt + response`` for each pair of strings.

    Returns ``tokens`` (N, T) int64 (padded with ``pad_id``), ``lengths`` (N,) int64 (the number of
    real characters of each row) and ``response_mask`` (N, T) bool, True where the character is the
    response's. T is the longest row.
    """
    rows = [tokenizer.encode(p + r) for p, r in zip(prompts, responses)]
    T = max(len(row) for row in rows)
    tokens = torch.full((len(rows), T), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), T), dtype=torch.bool)
    for i, (row, prompt) in enumerate(zip(rows, prompts)):
        tokens[i, : len(row)] = torch.tensor(row)
        mask[i, len(prompt): len(row)] = True
    lengths = torch.tensor([len(row) for row in rows])
    return {"tokens": tokens, "lengths": lengths, "response_mask": mask}


@torch.no_grad()
def sample_completions(model, tokenizer, prompts, max_chars: int = RESPONSE_CHARS, temperature: float = 1.0,
                       generator: torch.Generator | None = None, stop: str = "\n") -> list[str]:
    """Sample one completion of each prompt (all of the same length) from ``model``: up to and
    including the first ``stop`` (one character), at most ``max_chars`` characters. ``generator``
    (on the model's device) makes it reproducible. The model is put in eval mode.

    Each step runs the whole model on every line that has not yet written ``stop`` (no cache of keys
    and values: that is the `efficiency` assignment's exercise). A finished line still draws its
    character each step, so the random draws, and every line's text, do not depend on when the others
    finish."""
    model.eval()
    device = model.embed.weight.device
    lengths = {len(p) for p in prompts}
    if len(lengths) != 1:
        raise ValueError(f"prompts must all have the same length, not {sorted(lengths)}")
    idx = torch.tensor([tokenizer.encode(p) for p in prompts], device=device)
    if idx.shape[1] + max_chars > model.config.block_size:
        raise ValueError("prompt and completion do not fit in the model's block_size")
    if len(stop) != 1:
        raise ValueError(f"stop must be one character, not {stop!r}")
    stop_id = tokenizer.encode(stop)[0]
    writing = torch.ones(len(prompts), dtype=torch.bool, device=device)
    logits = torch.zeros(len(prompts), model.config.vocab_size, device=device)
    for _ in range(max_chars):
        rows = writing.nonzero()[:, 0]
        logits[rows] = model(idx[rows])[0][:, -1].float()
        probs = torch.softmax(logits / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=generator)
        idx = torch.cat([idx, nxt], dim=1)
        writing &= nxt[:, 0] != stop_id
        if not writing.any():
            break
    texts = [tokenizer.decode(row) for row in idx[:, len(prompts[0]):].tolist()]
    return [t[: t.index(stop) + 1] if stop in t else t for t in texts]
