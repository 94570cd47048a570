"""Small tools for evaluating a model on a benchmark with a verifier (the Evaluation chapter's demo).

- :func:`cloze_items`: a next-word cloze benchmark cut from a play: each item is the text before
  the last word of a line, and that word; the verifier is exact match.
- :func:`greedy_exact_match`: whether greedy decoding from each prompt writes the answer and then
  ends the word, checked with one teacher-forced forward pass per batch.
- :func:`wilson_interval`: a confidence interval for an accuracy measured on ``n`` items.
- :func:`paired_bootstrap`: a confidence interval for the difference between two scores measured
  on the same items (two prompt formats, two models).

None of this is an assignment's answer: it is the plumbing of the book's evaluation demo.
"""
import math
import re
from dataclasses import dataclass

import numpy as np
import torch

_LAST_WORD = re.compile(r"([A-Za-z]+)([^A-Za-z]*)$")


@dataclass(frozen=True)
class ClozeItem:
    """One cloze question: ``context`` is the text of the play before ``answer`` (the last word of
    a line), ``line`` the start of that line (without the word), ``speaker`` who says it, and
    ``start`` where the answer begins in the text the items were cut from."""
    context: str
    answer: str
    line: str
    speaker: str
    start: int
    choices: tuple[str, ...] = ()
    label: int = 0


def cloze_items(text: str, n: int, seed: int = 0, context_chars: int = 64, min_letters: int = 4,
                min_line_words: int = 4, n_choices: int = 4) -> list[ClozeItem]:
    """``n`` cloze items drawn at random (``seed``) from the lines of ``text``, a play in tiny
    Shakespeare's layout (a ``NAME:`` line, then the speech). An item is a line of at least
    ``min_line_words`` words that ends in a word of at least ``min_letters`` letters; its context
    is the ``context_chars`` characters before that word. ``choices`` holds the answer (at index
    ``label``) and ``n_choices - 1`` distractors: other lines' last words of the same length, so
    that a score summed over characters favours none of them for its length."""
    candidates, speaker, offset = [], "", 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\n")
        if line.endswith(":") and line[:-1].replace(" ", "").isupper():
            speaker = line[:-1]
        elif speaker and len(line.split()) >= min_line_words:
            match = _LAST_WORD.search(line)
            if match and len(match.group(1)) >= min_letters:
                start = offset + match.start(1)
                if start >= context_chars:
                    candidates.append((start, match.group(1), line[:match.start(1)], speaker))
        offset += len(raw)
    if n > len(candidates):
        raise ValueError(f"asked for {n} items but the text has only {len(candidates)} candidate lines")
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(candidates), size=n, replace=False))
    by_length = {}
    for _, word, _, _ in candidates:
        by_length.setdefault(len(word), set()).add(word.lower())
    items = []
    for start, word, line, who in (candidates[i] for i in chosen):
        others = sorted(by_length[len(word)] - {word.lower()})
        if len(others) < n_choices - 1:      # a rare length: take distractors of the nearest lengths
            others = sorted({w for ws in by_length.values() for w in ws} - {word.lower()},
                            key=lambda w: (abs(len(w) - len(word)), w))[:4 * n_choices]
        distractors = [others[i] for i in rng.choice(len(others), size=n_choices - 1, replace=False)]
        label = int(rng.integers(n_choices))
        choices = distractors[:label] + [word] + distractors[label:]
        items.append(ClozeItem(text[start - context_chars:start], word, line, who, start, tuple(choices), label))
    return items


@torch.no_grad()
def choice_logprobs(model, tokenizer, prompts: list[str], choices: list[tuple[str, ...]],
                    batch_size: int = 256) -> np.ndarray:
    """The log-probability the model gives each choice after its prompt, summed over the choice's
    characters: an array ``(len(prompts), n_choices)``. The answer the model "picks" is the
    argmax of a row, the way multiple-choice benchmarks such as MMLU are often scored."""
    model.eval()
    block = model.config.block_size
    seqs, spans = [], []
    for prompt, options in zip(prompts, choices):
        for option in options:
            ids = tokenizer.encode(prompt + option)[-block:]
            seqs.append(ids)
            spans.append(len(option))
    scores = []
    for lo in range(0, len(seqs), batch_size):
        part = seqs[lo:lo + batch_size]
        width = max(map(len, part))
        # padding goes after each sequence: the attention is causal, so it changes nothing before it
        batch = torch.tensor([ids + [0] * (width - len(ids)) for ids in part])
        logp = torch.log_softmax(model(batch)[0].float(), dim=-1)
        for row, ids in enumerate(part):
            k, n = spans[lo + row], len(ids)
            targets = torch.tensor(ids[n - k:])
            scores.append(logp[row, n - k - 1:n - 1].gather(1, targets[:, None]).sum().item())
    return np.array(scores).reshape(len(prompts), -1)


@torch.no_grad()
def greedy_exact_match(model, tokenizer, prompts: list[str], answers: list[str],
                       batch_size: int = 64) -> np.ndarray:
    """For each prompt, whether greedy decoding would write its answer and then a character that
    is not a letter (so "love" does not pass for "lovely"). Greedy decoding that has written the
    right characters so far is the same as reading the model's argmax with the right characters
    fed in, so one forward pass over ``prompt + answer`` decides it. Returns a bool array."""
    model.eval()
    letters = torch.tensor([c.isalpha() for c in tokenizer.chars])
    block = model.config.block_size
    right = []
    for lo in range(0, len(prompts), batch_size):
        seqs, spans = [], []
        for prompt, answer in zip(prompts[lo:lo + batch_size], answers[lo:lo + batch_size]):
            ids = tokenizer.encode(prompt + answer)[-block:]
            seqs.append(ids)
            spans.append((len(ids) - len(answer), len(answer)))
        width = max(map(len, seqs))
        # padding goes after each sequence: the attention is causal, so it changes nothing before it
        batch = torch.tensor([ids + [0] * (width - len(ids)) for ids in seqs])
        logits, _ = model(batch)
        guess = logits.argmax(-1)
        for row, (ids, (start, k)) in enumerate(zip(seqs, spans)):
            wrote = guess[row, start - 1:start - 1 + k].tolist() == ids[start:start + k]
            right.append(wrote and not bool(letters[guess[row, start + k - 1]]))
    return np.array(right, dtype=bool)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (95% for ``z = 1.96``). Unlike
    p +- z*sqrt(p(1-p)/n) it stays inside [0, 1] and is not zero-width when every item fails."""
    if n <= 0:
        raise ValueError("n must be positive")
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_bootstrap(a, b, n_boot: int = 10_000, seed: int = 0, level: float = 0.95):
    """Mean of ``a - b`` and a percentile bootstrap interval for it, resampling the items (the
    pairs ``a[i], b[i]``) with replacement. Returns ``(difference, low, high, resampled)``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError("a and b must be 1-D arrays of the same, non-zero length (one score per item)")
    diff = a - b
    idx = np.random.default_rng(seed).integers(0, len(diff), size=(n_boot, len(diff)))
    resampled = diff[idx].mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(resampled, [tail, 1 - tail])
    return float(diff.mean()), float(low), float(high), resampled
