"""The lora assignment's instruction dataset: reproducible from its script, inside the model's vocabulary,
and laid out so that exactly the answers are scored."""
import sys

import torch

from llmcourse.pretrained import load_pretrained
from llmcourse.sft import SFT_DATA, load_sft_pairs, sft_tensors
from tests.conftest import REPO, run


def test_the_committed_dataset_is_what_the_script_makes(tmp_path):
    out = tmp_path / "sft.txt"
    run([sys.executable, "scripts/make_sft_dataset.py", "--out", str(out)])
    assert out.read_bytes() == SFT_DATA.read_bytes(), "rerun scripts/make_sft_dataset.py and commit its output"
    assert SFT_DATA.stat().st_size < 1_000_000


def test_splits_are_disjoint_and_in_the_models_vocabulary():
    train, val = load_sft_pairs("train"), load_sft_pairs("val")
    assert (len(train), len(val)) == (3000, 300)
    assert not set(train) & set(val), "a validation example also occurs in training"
    _, tok = load_pretrained("shakespeare-char")
    text = SFT_DATA.read_text(encoding="utf-8")
    assert set(text) <= set(tok.chars), f"characters outside the vocabulary: {sorted(set(text) - set(tok.chars))}"
    for prompt, response in train[:50] + val[:50]:
        assert prompt.startswith("Q: ") and prompt.endswith("\nA: ") and response.endswith("\n")
        assert "\n" not in response[:-1]


def test_commands_follow_their_rules():
    for prompt, response in load_sft_pairs("train"):
        command, phrase = prompt[3:-4].split(": ")
        words, answer = phrase.split(), response[:-1]
        expected = {"exclaim": f"O {phrase}!", "spell": "-".join(phrase), "first": words[0], "last": words[-1],
                    "reverse": " ".join(reversed(words))}[command]
        assert answer == expected, (prompt, response)


def test_sft_tensors_score_exactly_the_response():
    _, tok = load_pretrained("shakespeare-char")
    pairs = [("Q: first: a b\nA: ", "a\n"), ("Q: last: fair lady\nA: ", "lady\n")]
    t = sft_tensors(pairs, tok, length=30)
    assert t["idx"].shape == t["targets"].shape == t["loss_mask"].shape == (2, 30)
    assert t["loss_mask"].dtype == torch.bool
    for row, (prompt, response) in enumerate(pairs):
        n = len(prompt + response) - 1
        assert tok.decode(t["idx"][row, :n]) == (prompt + response)[:-1]
        assert tok.decode(t["targets"][row, :n]) == (prompt + response)[1:]
        scored = tok.decode(t["targets"][row][t["loss_mask"][row]])
        assert scored == response
        assert not t["loss_mask"][row, n:].any()
