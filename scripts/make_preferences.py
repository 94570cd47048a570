"""Make the course's preference data for the `rlhf` assignment: ``llmcourse/data/preferences.jsonl``.

    python scripts/make_preferences.py [--out PATH] [--seed 0] [--batches N]

1. **Prompts.** The lines of speeches of tiny Shakespeare (a line that is not a speaker's ``NAME:``
   line), single-spaced, of at least 24 characters; a prompt is a line's first 16 characters
   (``llmcourse.preferences.PROMPT_CHARS``), so it often ends inside a word. The 7,000 prompts of the
   pairs are distinct and drawn at random from the first 90% of the text (the part the pretrained
   model was trained on); the 200 *fresh* prompts, for judging a policy, from the last 10%, none of them
   also the opening of a line of the first 90%.
2. **Responses.** For each pair's prompt the course's pretrained model (``load_pretrained
   ("shakespeare-char")``) samples two completions, one at temperature 0.7 and one at 1.3
   (``llmcourse.preferences.TEMPERATURES``), each up to and including its first newline, at most 40
   characters (``llmcourse.preferences.sample_completions``). Sampling runs on the CPU with one
   thread, in batches of 200 pairs: batch ``i``'s generator is seeded with ``seed * 1000 + i`` and
   samples the cooler completions of its prompts, then the hotter ones, so any batch can be remade on
   its own (``tests/test_rlhf_data.py`` remakes the first).
3. **Labels.** The labeller of ``llmcourse.preferences`` prefers the cooler completion ``a`` to the
   hotter ``b`` with probability ``sigmoid(u(a) - u(b))`` (``u``: the number of distinct real words
   of the play in the whole line, prompt and response); its choice is drawn with
   ``random.Random(seed)``, one draw per pair in order. The file does not say which line was the
   cooler one.

The first 6,000 pairs are for training, the next 1,000 for validation, then the 200 fresh prompts: one
JSON object per line, ``{"split", "prompt", "chosen", "rejected"}`` (``{"split": "fresh", "prompt"}``
for the last 200). It prints the labeller's accuracy ceiling on each split, and how often it chose the
cooler line. About 4 min on one core.
"""
import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import torch  # noqa: E402

from llmcourse.data import load_tiny_shakespeare  # noqa: E402
from llmcourse.preferences import (N_FRESH, N_TRAIN, N_VAL, PREFERENCES, PROMPT_CHARS, accuracy_ceiling,  # noqa: E402
                                   TEMPERATURES, play_vocabulary, preference_probability,
                                   sample_completions)
from llmcourse.pretrained import VAL_FRACTION, load_pretrained  # noqa: E402

MIN_LINE = 24
BATCH = 200   # pairs per sampling batch


def speech_lines(text: str) -> list[str]:
    """The lines of every speech of `text`, in order (the lines after a speaker's ``NAME:`` line)."""
    lines = []
    for block in text.split("\n\n"):
        speaker, *speech = block.strip("\n").split("\n")
        if speech and speaker.endswith(":"):
            lines.extend(speech)
    return lines


def openings(text: str) -> list[str]:
    """The distinct prompts `text` offers, sorted."""
    usable = [line for line in speech_lines(text) if len(line) >= MIN_LINE and line == " ".join(line.split())]
    return sorted({line[:PROMPT_CHARS] for line in usable})


def batch_pairs(model, tok, prompts: list[str], seed: int) -> list[tuple[str, str, str]]:
    """(prompt, cooler completion, hotter completion) for each prompt, sampled with their own generator."""
    generator = torch.Generator().manual_seed(seed)
    cool, hot = (sample_completions(model, tok, prompts, temperature=t, generator=generator) for t in TEMPERATURES)
    return list(zip(prompts, cool, hot))


def make(seed: int = 0, batches: int | None = None, stats: dict | None = None) -> list[dict]:
    """The rows of the file (only the first ``batches`` batches of pairs, and no fresh prompts, if given).
    ``stats``, if given, gets ``"cooler_chosen"``: how many pairs the labeller settled for the cooler line."""
    torch.set_num_threads(1)
    text = load_tiny_shakespeare()
    n_pretrain = int((1 - VAL_FRACTION) * len(text))
    rng = random.Random(seed)
    seen = openings(text[:n_pretrain])
    pair_prompts = rng.sample(seen, N_TRAIN + N_VAL)
    # Fresh prompts open lines of the held-out text only: none also opens a line of the training text.
    fresh = rng.sample(sorted(set(openings(text[n_pretrain:])) - set(seen)), N_FRESH)
    model, tok = load_pretrained("shakespeare-char")
    vocabulary = play_vocabulary(text)
    n_batches = (N_TRAIN + N_VAL) // BATCH if batches is None else batches
    label_rng = random.Random(seed)
    rows = []
    for b in range(n_batches):
        for prompt, cool, hot in batch_pairs(model, tok, pair_prompts[b * BATCH:(b + 1) * BATCH], seed * 1000 + b):
            cooler_wins = label_rng.random() < preference_probability(prompt + cool, prompt + hot, vocabulary)
            chosen, rejected = (cool, hot) if cooler_wins else (hot, cool)
            if stats is not None:
                stats["cooler_chosen"] = stats.get("cooler_chosen", 0) + cooler_wins
            split = "train" if len(rows) < N_TRAIN else "val"
            rows.append({"split": split, "prompt": prompt, "chosen": chosen, "rejected": rejected})
    if batches is None:
        rows += [{"split": "fresh", "prompt": p} for p in fresh]
    return rows


def render(rows) -> str:
    return "".join(json.dumps(row, ensure_ascii=True) + "\n" for row in rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PREFERENCES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batches", type=int, default=None, help="only the first N batches of pairs")
    args = parser.parse_args()
    stats = {}
    rows = make(args.seed, args.batches, stats)
    text = render(rows)
    args.out.write_text(text, encoding="utf-8")
    vocabulary = play_vocabulary()
    for split in ("train", "val"):
        pairs = [(r["prompt"], r["chosen"], r["rejected"]) for r in rows if r["split"] == split]
        if pairs:
            print(f"{split}: {len(pairs)} pairs, labeller's accuracy ceiling {accuracy_ceiling(pairs, vocabulary):.4f}")
    n_pairs = sum(r["split"] != "fresh" for r in rows)
    print(f"the labeller chose the cooler line in {stats['cooler_chosen']:,} of {n_pairs:,} pairs")
    print(f"wrote {len(rows)} rows, {len(text.encode()):,} bytes, to {args.out}")


if __name__ == "__main__":
    main()
