"""benchmarks/bpe_training.py keeps working as the source notebook changes: it finds the reference
trainer in solutions/tokenizer, and its two comparison trainers learn the same kind of vocabulary."""
import pytest

from tests.conftest import load_script

TEXT = ("the cat sat on the mat, the bat ate the hat; that is that.\n" * 30
        + "<|endoftext|>" + "a new document with other words\n" * 5)


@pytest.fixture(scope="module")
def bench():
    return load_script("benchmarks/bpe_training.py")


def test_reference_trainer_is_read_from_the_source_notebook(bench):
    ns = bench.reference_namespace()
    merges, vocab = ns["train_bpe"](TEXT, 256 + 20 + 1, ns["GPT4_SPLIT_PATTERN"])
    assert list(merges.values()) == list(range(256, 276))
    assert vocab[276] == b"<|endoftext|>" and len(vocab) == 277


def test_naive_trainer_counts_like_the_reference(bench):
    ns = bench.reference_namespace()
    text = TEXT.replace("<|endoftext|>", "\n")
    merges, _ = ns["train_bpe"](text, 256 + 5, ns["GPT4_SPLIT_PATTERN"], special_tokens=())
    naive = bench.naive_train(text, 5, ns["GPT4_SPLIT_PATTERN"])
    # The first merges have no ties on this text, so the two rules agree.
    assert list(naive) == list(merges)


def test_huggingface_trainer_reaches_the_vocabulary_size(bench):
    pytest.importorskip("tokenizers")
    ns = bench.reference_namespace()
    tokenizer = bench.huggingface_train(TEXT * 3, 300, ns["GPT4_SPLIT_PATTERN"])
    assert tokenizer.get_vocab_size() <= 300
    assert tokenizer.token_to_id("<|endoftext|>") is not None
