"""The lora assignment's instruction datasets: reproducible from their script, inside the model's
vocabulary, following their rules, and laid out so that exactly the answers are scored."""
import sys

import pytest
import torch

from llmcourse.data import load_tiny_shakespeare
from llmcourse.pretrained import VAL_FRACTION, load_pretrained
from llmcourse.sft import SFT_DATASETS, load_sft_pairs, sft_tensors
from tests.conftest import run


def test_the_committed_datasets_are_what_the_script_makes(tmp_path):
    run([sys.executable, "scripts/make_sft_dataset.py", "--out-dir", str(tmp_path)])
    for name, path in SFT_DATASETS.items():
        made = tmp_path / path.name
        assert made.read_bytes() == path.read_bytes(), f"{name}: rerun scripts/make_sft_dataset.py and commit its output"
        assert path.stat().st_size < 1_000_000


@pytest.mark.parametrize("dataset", ["lines", "commands"])
def test_splits_are_disjoint_and_in_the_models_vocabulary(dataset):
    train, val = load_sft_pairs("train", dataset), load_sft_pairs("val", dataset)
    assert (len(train), len(val)) == (3000, 300)
    assert not set(train) & set(val), "a validation example also occurs in training"
    _, tok = load_pretrained("shakespeare-char")
    text = SFT_DATASETS[dataset].read_text(encoding="utf-8")
    assert set(text) <= set(tok.chars), f"characters outside the vocabulary: {sorted(set(text) - set(tok.chars))}"
    for prompt, response in train + val:
        assert prompt.startswith("Q: ") and prompt.endswith("\nA: ") and response.endswith("\n")
        assert "\n" not in response[:-1] and response.strip() == response[:-1] != ""
    if dataset == "lines":
        assert load_sft_pairs("train") == train, "lines is the default dataset"


def test_lines_come_from_the_plays_training_from_the_pretraining_text_validation_from_the_held_out_part():
    text = load_tiny_shakespeare()
    n_pretrain = int((1 - VAL_FRACTION) * len(text))
    parts = {"train": text[:n_pretrain], "val": text[n_pretrain:]}
    requests = set()
    for split, part in parts.items():
        for prompt, response in load_sft_pairs(split, "lines"):
            request, start = prompt[3:-4].split(": ", 1)
            requests.add(request)
            answer = response[:-1]
            if request == "next word":
                assert " " not in answer and f"\n{start} {answer}" in part, (split, prompt, response)
            else:
                assert request == "finish" and f"\n{start} {answer}\n" in part, (split, prompt, response)
            assert len(start.split()) >= 2
    assert requests == {"next word", "finish"}


def test_commands_follow_their_rules():
    for prompt, response in load_sft_pairs("train", "commands"):
        command, phrase = prompt[3:-4].split(": ")
        words, answer = phrase.split(), response[:-1]
        expected = {"exclaim": f"O {phrase}!", "spell": "-".join(phrase), "first": words[0], "last": words[-1],
                    "reverse": " ".join(reversed(words))}[command]
        assert answer == expected, (prompt, response)


def test_sft_tensors_score_exactly_the_response():
    _, tok = load_pretrained("shakespeare-char")
    pairs = [("Q: first: a b\nA: ", "a\n"), ("Q: next word: fair\nA: ", "lady\n")]
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


def test_unknown_dataset_or_split_is_refused():
    with pytest.raises(ValueError):
        load_sft_pairs("test")
    with pytest.raises(ValueError):
        load_sft_pairs("train", "poems")
