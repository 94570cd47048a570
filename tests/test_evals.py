"""llmcourse.evals, the plumbing of the Evaluation chapter's demo: cloze items cut from a play,
multiple-choice and exact-match scoring checked against a plain loop, the Wilson interval and the
paired bootstrap."""
import math

import numpy as np
import pytest
import torch

from llmcourse.evals import (ClozeItem, choice_logprobs, cloze_items, greedy_exact_match,
                             paired_bootstrap, wilson_interval)
from llmcourse.pretrained import GPT, CharTokenizer, GPTConfig

PLAY = """FIRST CITIZEN:
Before we proceed any further, hear me speak.

ALL:
Speak, speak, we are all resolved rather to die.

FIRST CITIZEN:
You are all resolved rather to die than to famish.
We know it, and the chief enemy of the people.
Let us kill him, and we will have corn at our price.

SECOND CITIZEN:
One word, good citizens, before the gates.
Would you proceed especially against the people?
"""


def tiny_model(seed=0, vocab=None):
    chars = vocab or "".join(sorted(set(PLAY + PLAY.upper())))
    torch.manual_seed(seed)
    model = GPT(GPTConfig(vocab_size=len(chars), block_size=64, n_layer=1, n_head=2, d_model=16))
    return model.eval(), CharTokenizer(chars)


def test_cloze_items_are_last_words_of_speech_lines_with_their_context():
    items = cloze_items(PLAY, 5, seed=1, context_chars=20, n_choices=3)
    assert len(items) == 5 and len({it.start for it in items}) == 5
    for it in items:
        assert isinstance(it, ClozeItem)
        assert PLAY[it.start:it.start + len(it.answer)] == it.answer
        assert PLAY[it.start - 20:it.start] == it.context and it.context.endswith(it.line[-5:])
        assert len(it.answer) >= 4 and it.answer.isalpha()
        assert it.speaker in {"FIRST CITIZEN", "ALL", "SECOND CITIZEN"}
        assert not it.line.strip().endswith(":")            # never a speaker's name line
        assert len(it.choices) == 3 and it.choices[it.label] == it.answer
        assert len(set(c.lower() for c in it.choices)) == 3
    # the same seed gives the same items; another seed, other choices or other items
    assert cloze_items(PLAY, 5, seed=1, context_chars=20, n_choices=3) == items
    assert cloze_items(PLAY, 5, seed=2, context_chars=20, n_choices=3) != items
    with pytest.raises(ValueError):
        cloze_items(PLAY, 50)


def test_choice_logprobs_matches_a_plain_loop_with_unequal_lengths():
    model, tok = tiny_model()
    prompts = ["Speak, speak, we are ", "One word", "Let us kill him, and we will have corn at our "]
    choices = [("all", "die", "ALL"), ("s", ".", "o"), ("price", "peopl", "gates")]
    got = choice_logprobs(model, tok, prompts, choices, batch_size=4)   # batches cut across items
    assert got.shape == (3, 3)
    for i, (prompt, options) in enumerate(zip(prompts, choices)):
        for j, option in enumerate(options):
            ids = torch.tensor([tok.encode(prompt + option)])
            with torch.no_grad():
                logp = torch.log_softmax(model(ids)[0][0], -1)
            start = len(prompt)
            expected = sum(logp[start + k - 1, ids[0, start + k]].item() for k in range(len(option)))
            assert got[i, j] == pytest.approx(expected, abs=1e-4)


def test_greedy_exact_match_agrees_with_greedy_decoding():
    model, tok = tiny_model(seed=3)
    prompts = ["Speak, sp", "We know it, and the ", "hear me ", "rather to d"]

    def greedy(prompt, n):
        ids = torch.tensor([tok.encode(prompt)])
        with torch.no_grad():
            for _ in range(n):
                nxt = model(ids)[0][0, -1].argmax()
                ids = torch.cat([ids, nxt.view(1, 1)], 1)
        return tok.decode(ids[0, len(prompt):].tolist())

    # answers: what the model does write (cut at different lengths), and one it does not write
    answers = [greedy(p, 6)[:k] for p, k in zip(prompts, (1, 2, 3, 4))] + ["zzzz"]
    prompts = prompts + ["hear me "]
    expected = []
    for prompt, answer in zip(prompts, answers):
        out = greedy(prompt, len(answer) + 1)
        expected.append(out[:len(answer)] == answer and not out[len(answer)].isalpha())
    got = greedy_exact_match(model, tok, prompts, answers, batch_size=2)
    assert got.dtype == bool and got.tolist() == expected
    assert not got[-1]


def test_wilson_interval_known_values_and_limits():
    # 0 of 10: the interval is [0, z^2 / (n + z^2)], not a zero-width point
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(1.96 ** 2 / (10 + 1.96 ** 2), rel=1e-9)
    low, high = wilson_interval(10, 10)
    assert high == 1 and low == pytest.approx(10 / (10 + 1.96 ** 2), rel=1e-9)
    # 50 of 100: close to the normal interval there
    low, high = wilson_interval(50, 100)
    assert (low + high) / 2 == pytest.approx(0.5)
    assert high - low == pytest.approx(2 * 1.96 * math.sqrt(0.25 / 100), rel=0.02)
    # the interval for successes s is the set of p whose score test accepts s (|p_hat - p| <= z se(p))
    for s, n in [(3, 40), (17, 60), (59, 60)]:
        low, high = wilson_interval(s, n)
        for p in (low, high):
            assert abs(s / n - p) == pytest.approx(1.96 * math.sqrt(p * (1 - p) / n), rel=1e-6)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)


def test_paired_bootstrap_interval():
    rng = np.random.default_rng(0)
    n = 400
    difficulty = rng.random(n)
    a = difficulty < 0.6                                   # system a solves the easier 60%
    b = (difficulty < 0.5) | (rng.random(n) < 0.02)        # b: a bit fewer, plus a few lucky ones
    diff, low, high, resampled = paired_bootstrap(a, b, n_boot=4000, seed=1)
    assert diff == pytest.approx(a.mean() - b.mean())
    assert low < diff < high and len(resampled) == 4000
    # the paired standard error: the spread of the per-item differences, over sqrt(n)
    se = np.std(a.astype(float) - b, ddof=1) / math.sqrt(n)
    assert (high - low) / 2 == pytest.approx(1.96 * se, rel=0.15)
    # identical systems: no difference, a zero-width interval
    assert paired_bootstrap(a, a)[:3] == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError):
        paired_bootstrap(a, b[:-1])
