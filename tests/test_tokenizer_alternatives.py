"""The tokenizer's graded cells (hidden tests included) accept other correct implementations than
the reference: run in-process, with the source notebook's answers swapped for differently written
but correct ones. (tests/test_grading.py checks, through the real grader, that wrong ones lose.)"""
import os

import nbformat
import pytest

from tests.conftest import REPO

SOURCE = REPO / "solutions" / "tokenizer" / "tokenizer.ipynb"

# Counter-based counting; a merge that scans with a flag instead of jumping by two.
PAIRS = '''
def get_pair_counts(ids, counts=None):
    found = Counter(zip(ids, ids[1:]))
    if counts is None:
        return dict(found)
    for pair, n in found.items():
        counts[pair] = counts.get(pair, 0) + n
    return counts

def merge(ids, pair, new_id):
    out, skip = [], False
    for here, after in zip(ids, ids[1:] + [None]):
        if skip:
            skip = False
        elif (here, after) == pair:
            out.append(new_id)
            skip = True
        else:
            out.append(here)
    return out
'''

# The "reasonable student" trainer: distinct chunks with counts, but every pair recounted at each
# step (no incremental update); the tie rule written with max and negated ids.
TRAIN_RECOUNT = '''
def train_bpe(text, vocab_size, pattern=GPT4_SPLIT_PATTERN, special_tokens=("<|endoftext|>",)):
    pieces = [text]
    for token in special_tokens:
        pieces = [part for piece in pieces for part in piece.split(token)]
    words = Counter()
    for piece in pieces:
        for match in re.finditer(pattern, piece):
            words[match.group()] += 1
    seqs = [list(word.encode("utf-8")) for word in words]
    freq = list(words.values())
    merges, vocab = {}, {i: bytes([i]) for i in range(256)}
    while len(merges) < vocab_size - 256 - len(special_tokens):
        counts = Counter()
        for seq, n in zip(seqs, freq):
            for pair in zip(seq, seq[1:]):
                counts[pair] += n
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], -p[0], -p[1]))
        new_id = 256 + len(merges)
        merges[best] = new_id
        vocab[new_id] = vocab[best[0]] + vocab[best[1]]
        seqs = [merge(seq, best, new_id) if best[0] in seq else seq for seq in seqs]
    for token in special_tokens:
        vocab[len(vocab)] = token.encode("utf-8")
    return merges, vocab
'''

# Encode by applying every merge in training order (slow, correct), special tokens found with
# str.find; decode through a bytearray; save and load with pickle.
TOKENIZER = '''
import pickle

class BPETokenizer:
    def __init__(self, merges, vocab, pattern=GPT4_SPLIT_PATTERN, special_tokens=("<|endoftext|>",)):
        self.merges = dict(merges)
        self.vocab = dict(vocab)
        self.pattern = pattern
        self.special_tokens = {token: 256 + len(self.merges) + i for i, token in enumerate(special_tokens)}

    @classmethod
    def train(cls, text, vocab_size, pattern=GPT4_SPLIT_PATTERN, special_tokens=("<|endoftext|>",)):
        merges, vocab = train_bpe(text, vocab_size, pattern, special_tokens)
        return cls(merges, vocab, pattern, special_tokens)

    def _plain(self, text):
        ids = []
        for chunk in re.findall(self.pattern, text):
            seq = list(chunk.encode("utf-8"))
            for pair, new_id in sorted(self.merges.items(), key=lambda item: item[1]):
                seq = merge(seq, pair, new_id)
            ids += seq
        return ids

    def encode(self, text, allowed_special="all"):
        if allowed_special == "all":
            allowed = set(self.special_tokens)
        elif allowed_special == "none":
            allowed = set()
        else:
            allowed = set(allowed_special)
        ids, start = [], 0
        while True:
            hits = [(text.find(t, start), -len(t), t) for t in allowed if text.find(t, start) >= 0]
            if not hits:
                return ids + self._plain(text[start:])
            at, _, token = min(hits)
            ids += self._plain(text[start:at]) + [self.special_tokens[token]]
            start = at + len(token)

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            data.extend(self.vocab[i])
        return bytes(data).decode("utf-8", "replace")

    def save(self, path):
        with open(path, "wb") as f:
            pickle.dump((self.merges, self.vocab, self.pattern, tuple(self.special_tokens)), f)

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            return cls(*pickle.load(f))
'''


def cells_by_id():
    nb = nbformat.read(SOURCE, as_version=4)
    return nb.cells, {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def run_graded_cells(answers: dict[str, str], monkeypatch) -> dict[str, str]:
    """Execute the setup, the given answers in place of the solution cells, and every graded cell.
    Returns grade_id -> 'ok' or the error."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    cells, by_id = cells_by_id()
    namespace = {"display": lambda *args, **kwargs: None}
    exec(by_id["setup"].source, namespace)
    results = {}
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if cell.cell_type != "code" or grade_id == "setup":
            continue
        if meta.get("solution"):
            exec(answers.get(grade_id, cell.source), namespace)
        elif meta.get("grade"):
            try:
                exec(cell.source, namespace)
                results[grade_id] = "ok"
            except Exception as err:  # noqa: BLE001 (any failure is a lost point)
                results[grade_id] = f"{type(err).__name__}: {err}"
        elif cell.source.startswith("GPT4_SPLIT_PATTERN"):
            exec(cell.source, namespace)
    return results


@pytest.mark.skipif(not os.environ.get("LLMCOURSE_DATA_DIR"), reason="needs tiny Shakespeare offline")
def test_other_correct_implementations_earn_every_point(monkeypatch, capsys):
    results = run_graded_cells({"pairs": PAIRS, "train_bpe": TRAIN_RECOUNT, "tokenizer": TOKENIZER}, monkeypatch)
    assert len(results) == 10
    failed = {grade_id: outcome for grade_id, outcome in results.items() if outcome != "ok"}
    assert not failed, failed


@pytest.mark.skipif(not os.environ.get("LLMCOURSE_DATA_DIR"), reason="needs tiny Shakespeare offline")
def test_the_reference_earns_every_point_in_process(monkeypatch, capsys):
    results = run_graded_cells({}, monkeypatch)
    assert set(results.values()) == {"ok"}, results
