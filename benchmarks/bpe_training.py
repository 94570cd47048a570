"""How fast is the tokenizer assignment's reference BPE trainer? Trains the same vocabulary on the
same text three ways, in one run, and prints the times and their ratios:

- ``reference``: ``train_bpe`` from the source notebook solutions/tokenizer/tokenizer.ipynb
  (deduplicated chunks, incremental pair counts), run here exactly as the notebook defines it;
- ``naive``: the textbook loop in the style of Karpathy's minbpe (regex chunks, every pair recounted
  and every chunk re-merged after each merge);
- ``huggingface``: the Rust ``tokenizers`` library's BPE trainer with the same split pattern.

    python benchmarks/bpe_training.py [--vocab-size 512] [--bytes N] [--naive-merges K]

``--naive-merges K`` stops the naive trainer after K merges and extrapolates its time linearly
(each of its merges costs about the same); by default it makes all of them. Wall time is printed
beside process CPU time, which suffers less when other work shares the machine.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
import regex as re

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from llmcourse.data import load_tiny_shakespeare  # noqa: E402

SOURCE = REPO / "solutions" / "tokenizer" / "tokenizer.ipynb"


def reference_namespace() -> dict:
    """Run the source notebook's definitions (the split pattern, get_pair_counts, merge, train_bpe)."""
    nb = nbformat.read(SOURCE, as_version=4)
    wanted = ("GPT4_SPLIT_PATTERN =", "def get_pair_counts", "def train_bpe")
    namespace = {"re": re}
    exec("from collections import Counter, defaultdict", namespace)
    for cell in nb.cells:
        if cell.cell_type == "code" and any(cell.source.lstrip().startswith(w) for w in wanted):
            # Only definitions: the pattern cell's demo lines after the assignment are skipped.
            source = cell.source.split("\nexample =")[0]
            exec(compile(source, str(SOURCE), "exec"), namespace)
    return namespace


def naive_train(text: str, num_merges: int, pattern: str) -> dict:
    """BPE as minbpe's RegexTokenizer trains it: no deduplication, full recount per merge."""
    chunks = [list(chunk.encode("utf-8")) for chunk in re.findall(pattern, text)]
    merges = {}
    for new_id in range(256, 256 + num_merges):
        counts = {}
        for ids in chunks:
            for pair in zip(ids, ids[1:]):
                counts[pair] = counts.get(pair, 0) + 1
        best = max(counts, key=counts.get)
        merges[best] = new_id
        merged_chunks = []
        for ids in chunks:
            out, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and ids[i] == best[0] and ids[i + 1] == best[1]:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            merged_chunks.append(out)
        chunks = merged_chunks
    return merges


def huggingface_train(text: str, vocab_size: int, pattern: str):
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([text], trainer=trainer)
    return tokenizer


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=512)
    parser.add_argument("--bytes", type=int, default=None, help="train on the first N characters (default: all)")
    parser.add_argument("--naive-merges", type=int, default=None, help="stop the naive trainer early and extrapolate")
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs for the fast trainers")
    args = parser.parse_args()

    text = load_tiny_shakespeare()[:args.bytes]
    ns = reference_namespace()
    pattern, train_bpe = ns["GPT4_SPLIT_PATTERN"], ns["train_bpe"]
    num_merges = args.vocab_size - 256 - 1
    print(f"tiny Shakespeare, {len(text.encode('utf-8')):,} bytes; vocab {args.vocab_size} "
          f"(256 bytes + {num_merges} merges + <|endoftext|>); {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")

    runs = [timed(lambda: train_bpe(text, args.vocab_size, pattern)) for _ in range(args.repeats)]
    ref_wall, ref_cpu, (merges, vocab) = min(runs, key=lambda r: r[0])
    assert len(merges) == num_merges and len(vocab) == args.vocab_size
    print(f"reference   {ref_wall:7.2f} s wall {ref_cpu:7.2f} s CPU  (best of {args.repeats})")

    runs = [timed(lambda: huggingface_train(text, args.vocab_size, pattern)) for _ in range(args.repeats)]
    hf_wall, hf_cpu, hf = min(runs, key=lambda r: r[0])
    hf_vocab = hf.get_vocab_size()
    print(f"huggingface {hf_wall:7.2f} s wall {hf_cpu:7.2f} s CPU  (best of {args.repeats}; vocab {hf_vocab}; "
          "Rust, may use every CPU)")

    k = min(args.naive_merges or num_merges, num_merges)
    naive_wall, naive_cpu, naive_merges = timed(lambda: naive_train(text, k, pattern))
    scale = num_merges / k
    naive_wall, naive_cpu = naive_wall * scale, naive_cpu * scale
    note = "" if k == num_merges else f" (extrapolated from {k} merges)"
    print(f"naive       {naive_wall:7.2f} s wall {naive_cpu:7.2f} s CPU{note}")

    # The reference and the naive trainer differ only in the tie rule: their merges should mostly agree.
    same = sum(1 for a, b in zip(merges, naive_merges) if a == b)
    print(f"\nnaive / reference:       {naive_wall / ref_wall:6.1f}x wall, {naive_cpu / ref_cpu:6.1f}x CPU "
          f"(first {k} merges: {same} identical, the rest differ by tie-breaking)")
    print(f"reference / huggingface: {ref_wall / hf_wall:6.1f}x wall, {ref_cpu / hf_cpu:6.1f}x CPU")
    print(f"budget: reference <= 2 s on 1 MB to vocab 512: {'met' if ref_wall <= 2 else 'NOT met'} "
          f"({ref_wall:.2f} s wall)")


if __name__ == "__main__":
    main()
