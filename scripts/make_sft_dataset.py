"""Make the course's small instruction dataset for the `lora` assignment.

    python scripts/make_sft_dataset.py [--out llmcourse/data/sft_commands.txt] [--seed 0]

Every example is one request and its answer in a fixed template::

    Q: exclaim: sweet lady
    A: O sweet lady!

The requests are five small text commands applied to a phrase of two or three words drawn from the
word list below (words of Shakespeare's plays, chosen by hand):

- ``exclaim``: ``O``, the phrase, and ``!``;
- ``spell``: one word, its letters joined by ``-``;
- ``first`` and ``last``: the first or the last word of the phrase;
- ``reverse``: the words of the phrase in the opposite order.

The validation examples are drawn after the training ones, skipping any that is already among
them. Each answer follows from its request by a rule and only copies characters of the request (no
letter changes case), so the pretrained Shakespeare model has to learn a new
*behaviour* (read the command, transform the phrase) rather than new facts. Examples are separated by
an empty line. Every character of the file belongs to tiny Shakespeare's 65-character vocabulary.
The output is a pure function of the seed: rerunning the script rewrites the same bytes.
"""
import argparse
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "llmcourse" / "data" / "sft_commands.txt"
N_TRAIN, N_VAL = 3000, 300

WORDS = """
king queen lord lady good sweet fair noble gentle brave proud poor old young true false dear
heart love hate death life blood night day morrow sun moon star heaven earth sea fire storm crown
sword honour grace mercy shame fear hope joy grief tears sorrow peace war father mother son
daughter brother sister friend enemy fool knave villain master servant soldier captain duke
prince princess cousin uncle nurse friar ghost witch tongue eye hand face voice name word oath
letter ring horse field castle tower gate street house city court garden rose flower tree
summer winter spring wind rain thunder music song dream sleep wake speak hear see come go stay
fly fight kill die live weep laugh sing pray swear kiss strike yield rest hold break give take
bright dark cold warm sad merry wise mad strange wild gentle bold cruel kind silent loud
""".split()
WORDS = sorted(set(WORDS))

COMMANDS = ["exclaim", "spell", "first", "last", "reverse"]


def phrase(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 3)))


def example(rng: random.Random) -> tuple[str, str]:
    """One (request, answer) pair, both without the template."""
    command = rng.choice(COMMANDS)
    if command == "spell":
        word = rng.choice(WORDS)
        return f"spell: {word}", "-".join(word)
    words = phrase(rng)
    if command == "exclaim":
        return f"exclaim: {words}", f"O {words}!"
    if command == "first":
        return f"first: {words}", words.split()[0]
    if command == "last":
        return f"last: {words}", words.split()[-1]
    return f"reverse: {words}", " ".join(reversed(words.split()))


def make(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [example(rng) for _ in range(n)]


def split(pairs) -> tuple[list, list]:
    """The first N_TRAIN pairs, then N_VAL more that are not among them (an example seen in training
    would make the validation loss flatter than it is)."""
    train = pairs[:N_TRAIN]
    seen = set(train)
    val = [pair for pair in pairs[N_TRAIN:] if pair not in seen][:N_VAL]
    return train, val


def render(pairs) -> str:
    return "".join(f"Q: {request}\nA: {answer}\n\n" for request, answer in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    train, val = split(make(args.seed, 2 * (N_TRAIN + N_VAL)))
    # The first N_TRAIN examples are for training, the last N_VAL for validation.
    text = render(train) + render(val)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {len(train) + len(val)} examples ({len(train)} train, {len(val)} validation), {len(text):,} characters, to {args.out}")


if __name__ == "__main__":
    main()
