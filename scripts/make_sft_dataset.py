"""Make the course's two small instruction datasets for the `lora` assignment.

    python scripts/make_sft_dataset.py [--out-dir llmcourse/data] [--seed 0]

It writes two files, each of 3,000 training then 300 validation examples, one request and its answer
in a fixed template, examples separated by an empty line::

    Q: next word: But soft, what light
    A: through

1. ``sft_lines.txt``, the assignment's task: two requests about lines of tiny Shakespeare.
   ``next word: <the first words of a line>`` is answered by the word that follows them in the play
   (a word is what lies between two spaces, its punctuation included); ``finish: <the first words of
   a line>`` by the rest of the line. A line is one line of a speech (not a speaker's name), of 20 to
   60 characters and at least four words, single-spaced; it is cut after a random number of words, at least two, and
   the request is drawn at random. The training examples come from the first 90% of tiny Shakespeare,
   the text the course's pretrained model was trained on; the validation examples from the last 10%,
   which it never saw (the split of ``scripts/train_shakespeare_char.py``). The answers have real
   uncertainty (many words could come next), and the knowledge they need is already in the model: what
   fine-tuning must teach is to answer in the template, and when to stop.
2. ``sft_commands.txt``, a contrast: five small text commands on a phrase of two or three words drawn
   from a hand-picked list of words of the plays. ``exclaim`` answers ``O``, the phrase and ``!``;
   ``spell``, one word's letters joined by ``-``; ``first`` and ``last``, one word of the phrase;
   ``reverse``, its words in the opposite order. Every answer follows from its request by a rule and
   copies characters of the request: the model has to learn new *abilities* (find a word, copy it,
   reverse an order). ``benchmarks/lora_finetuning.py --dataset commands`` measures how much less
   suited to a low-rank update that is.

In both, the validation examples skip any example already among the training ones, and every
character belongs to tiny Shakespeare's 65-character vocabulary. The files are a pure function of the
seed and of tiny Shakespeare (read with the course's loader): rerunning the script rewrites the same
bytes.
"""
import argparse
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from llmcourse.data import load_tiny_shakespeare  # noqa: E402
from llmcourse.pretrained import VAL_FRACTION  # noqa: E402

OUT_DIR = REPO / "llmcourse" / "data"
N_TRAIN, N_VAL = 3000, 300

# --- sft_lines.txt: next word and finish, on lines of the plays ---------------------------------------
LINE_CHARS = (20, 60)
LINE_REQUESTS = ["next word", "finish"]


def speech_lines(text: str) -> list[str]:
    """The lines of every speech of `text`, in order: the lines after a speaker's ``NAME:`` line."""
    lines = []
    for block in text.split("\n\n"):
        speaker, *speech = block.strip("\n").split("\n")
        if speech and speaker.endswith(":"):
            lines.extend(speech)
    return lines


def line_examples(text: str, rng: random.Random) -> list[tuple[str, str]]:
    """One (request, answer) pair per usable line of `text`, in a random order."""
    lines = [line for line in speech_lines(text)
             if LINE_CHARS[0] <= len(line) <= LINE_CHARS[1] and len(line.split()) >= 4
             and line == " ".join(line.split())]   # single spaces only, none at the ends
    rng.shuffle(lines)
    pairs = []
    for line in lines:
        words = line.split(" ")
        cut = rng.randint(2, len(words) - 1)
        request = rng.choice(LINE_REQUESTS)
        answer = words[cut] if request == "next word" else " ".join(words[cut:])
        pairs.append((f"{request}: {' '.join(words[:cut])}", answer))
    return pairs


def lines_dataset(seed: int) -> tuple[list, list]:
    text = load_tiny_shakespeare()
    n_pretrain = int((1 - VAL_FRACTION) * len(text))
    rng = random.Random(seed)
    train = unique(line_examples(text[:n_pretrain], rng))[:N_TRAIN]
    seen = set(train)
    val = [pair for pair in unique(line_examples(text[n_pretrain:], rng)) if pair not in seen][:N_VAL]
    return train, val


# --- sft_commands.txt: five text commands on short phrases -------------------------------------------
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


def command_example(rng: random.Random) -> tuple[str, str]:
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


def commands_dataset(seed: int) -> tuple[list, list]:
    """The first N_TRAIN drawn pairs, then N_VAL more that are not among them (an example seen in
    training would make the validation loss flatter than it is)."""
    rng = random.Random(seed)
    pairs = [command_example(rng) for _ in range(2 * (N_TRAIN + N_VAL))]
    train = pairs[:N_TRAIN]
    seen = set(train)
    val = [pair for pair in pairs[N_TRAIN:] if pair not in seen][:N_VAL]
    return train, val


# --- both ----------------------------------------------------------------------------------------------
DATASETS = {"sft_lines.txt": lines_dataset, "sft_commands.txt": commands_dataset}


def unique(pairs):
    return list(dict.fromkeys(pairs))


def render(pairs) -> str:
    return "".join(f"Q: {request}\nA: {answer}\n\n" for request, answer in pairs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, make in DATASETS.items():
        train, val = make(args.seed)
        assert (len(train), len(val)) == (N_TRAIN, N_VAL), f"{name}: {len(train)} + {len(val)} examples"
        # The first N_TRAIN examples are for training, the last N_VAL for validation.
        text = render(train) + render(val)
        (args.out_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {N_TRAIN + N_VAL} examples ({N_TRAIN} train, {N_VAL} validation), {len(text):,} characters, "
              f"to {args.out_dir / name}")


if __name__ == "__main__":
    main()
