"""The reasoning assignment's task and model (llmcourse.arithmetic): the documented format, the
split, the careless writer, pass@k, and the shipped checkpoint (small, loads, and starts where the
training script recorded, with room for RL); the training script runs."""
import math
from itertools import combinations

import torch

from llmcourse import arithmetic
from llmcourse.pretrained import CHECKPOINTS, load_pretrained, pretrained_info
from tests.conftest import load_script


def test_format_and_vocabulary():
    assert arithmetic.prompt_text(7, 58) == "07+58=" and len(arithmetic.prompt_text(99, 99)) == arithmetic.PROMPT_LEN
    assert arithmetic.completion_text(65) == "065." and arithmetic.completion_text(198) == "198."
    tok = arithmetic.tokenizer()
    assert tok.vocab_size == 13 and tok.decode(tok.encode("07+58=065.")) == "07+58=065."
    ids = arithmetic.encode_prompts([(7, 58), (91, 46)])
    assert ids.shape == (2, arithmetic.PROMPT_LEN) and tok.decode(ids[1]) == "91+46="


def test_split_is_fixed_and_disjoint():
    train, held_out = arithmetic.split()
    assert len(train) == 8000 and len(held_out) == 2000
    assert len(set(train) | set(held_out)) == 10000
    assert arithmetic.split() == (train, held_out)


def test_careless_sum_forgets_every_carry():
    assert arithmetic.careless_sum(58, 67) == 15 and arithmetic.careless_sum(12, 34) == 46
    for a in range(100):
        for b in range(100):
            no_carry = a % 10 + b % 10 < 10 and a // 10 + b // 10 < 10
            assert (arithmetic.careless_sum(a, b) == a + b) == no_carry == (not arithmetic.needs_carry(a, b))


def test_pass_at_k_curve_estimates_counting_subsets():
    rows = [[False] * 6, [True, False, False, True, False, False], [True] * 6, [False, True, False, False, False, False]]
    ks = list(range(1, 7))
    estimate = arithmetic.pass_at_k_curve(torch.tensor(rows), ks, draws=4000)
    for k, value in zip(ks, estimate):
        exact = 0.0
        for row in rows:
            subsets = list(combinations(range(6), k))
            exact += sum(any(row[i] for i in s) for s in subsets) / len(subsets) / len(rows)
        assert math.isclose(value, exact, abs_tol=0.02), (k, value, exact)
    assert estimate[-1] == 0.75 and estimate == sorted(estimate)    # k = n: a problem counts iff any sample is right


def test_checkpoint_is_small_loads_and_starts_with_room_for_rl():
    path = CHECKPOINTS / "arithmetic.pt"
    assert path.stat().st_size <= 5 * 1024 * 1024
    model, tok = load_pretrained("arithmetic")
    assert tok.chars == arithmetic.CHARS and not model.training
    info = pretrained_info("arithmetic")
    _, held_out = arithmetic.split()
    texts = arithmetic.greedy_completions(model, held_out)
    accuracy = sum(t == arithmetic.completion_text(a + b) for t, (a, b) in zip(texts, held_out)) / len(held_out)
    assert abs(accuracy - info["held_out_greedy_accuracy"]) < 0.01   # the number the notebook and benchmark quote
    assert 0.2 <= accuracy <= 0.6
    # The right answer keeps a share of the probability where greedy is wrong: RL has something to find.
    wrong = [p for p, t in zip(held_out, texts) if t != arithmetic.completion_text(sum(p))][:50]
    seq = torch.tensor([tok.encode(arithmetic.prompt_text(a, b) + arithmetic.completion_text(a + b)) for a, b in wrong])
    with torch.no_grad():
        logp = torch.log_softmax(model(seq[:, :-1])[0][:, arithmetic.PROMPT_LEN - 1:], -1)
    right = logp.gather(-1, seq[:, arithmetic.PROMPT_LEN:, None]).squeeze(-1).sum(-1).exp()
    assert right.mean() > 0.1


def test_training_script_runs(tmp_path):
    script = load_script("scripts/train_arithmetic_model.py")
    threads = torch.get_num_threads()
    try:
        model, record = script.train({**script.HYPERPARAMETERS, "steps": 3})
    finally:
        torch.set_num_threads(threads)
    assert not model.training and 0.0 <= record["held_out_greedy_accuracy"] <= 1.0
