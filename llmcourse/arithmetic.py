"""The arithmetic task of the `reasoning` assignment, and the small model that does it.

**The format.** A problem is a sum of two whole numbers from 0 to 99, written with two digits
each; the answer is the sum written with three digits, then a full stop, the end token::

    prompt      "07+58="      (always PROMPT_LEN = 6 characters)
    completion  "065."        (three digits, then END = "."; COMPLETION_LEN = 4 characters)

A completion is read as follows: its final answer is the text before the first END; it counts only
when that text is exactly three digits. Anything after the first END (padding, say) is ignored, and a
completion without END has no answer. So ``"065."`` and ``"065...."`` answer 65; ``"65."``,
``"0651."``, ``"06x."`` and ``"065"`` answer nothing. (Writing the scorer, ``verify``, is the
assignment's first exercise; this module does not contain one.)

**The vocabulary** is the 13 characters of ``CHARS`` (``"0123456789+=."``); :func:`tokenizer` gives a
:class:`~llmcourse.pretrained.CharTokenizer` over them. Padding after END uses END's own id.

**The split.** The 10,000 problems are split once, by a fixed permutation, into 8,000 for training
(supervised and RL) and 2,000 held out (:func:`split`); accuracy is always measured on held-out ones.

**The model.** ``load_pretrained("arithmetic")`` (from :mod:`llmcourse.pretrained`) is a two-layer
character-level GPT trained by ``scripts/train_arithmetic_model.py`` on worked sums from the training
split, many of them written by a careless writer who forgets to carry (:func:`careless_sum`): it
learned both the right answer and the careless one, and prefers the careless one on many problems
that need a carry. Its greedy accuracy on held-out problems, and how it was trained, are in
``pretrained_info("arithmetic")``.
"""
import torch

CHARS = "0123456789+=."
END = "."
PROMPT_LEN = 6          # "ab+cd="
COMPLETION_LEN = 4      # "sss."
N_PROBLEMS = 100 * 100
N_HELD_OUT = 2000
SPLIT_SEED = 2025


def tokenizer():
    """The task's character tokenizer (vocabulary ``CHARS``; ``END`` is its end token)."""
    from llmcourse.pretrained import CharTokenizer
    return CharTokenizer(CHARS)


def prompt_text(a: int, b: int) -> str:
    """The prompt for ``a + b``: ``"07+58="``."""
    if not (0 <= a <= 99 and 0 <= b <= 99):
        raise ValueError(f"both numbers must be from 0 to 99, not {a} and {b}")
    return f"{a:02d}+{b:02d}="


def completion_text(total: int) -> str:
    """The completion that answers ``total`` in the documented format: ``"065."``."""
    return f"{total:03d}{END}"


def careless_sum(a: int, b: int) -> int:
    """``a + b`` computed digit by digit without ever carrying (``58 + 67`` gives ``15``, written
    ``"015."``): the careless writer's answer. Equals ``a + b`` when no column carries."""
    return (a % 10 + b % 10) % 10 + 10 * ((a // 10 + b // 10) % 10)


def needs_carry(a: int, b: int) -> bool:
    return careless_sum(a, b) != a + b


def split() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """``(train, held_out)``: every problem ``(a, b)``, 8,000 for training and 2,000 held out, fixed."""
    order = torch.randperm(N_PROBLEMS, generator=torch.Generator().manual_seed(SPLIT_SEED)).tolist()
    problems = [(i // 100, i % 100) for i in order]
    return problems[N_HELD_OUT:], problems[:N_HELD_OUT]


def encode_prompts(problems, device="cpu") -> torch.Tensor:
    """Prompts of ``problems`` (a list of ``(a, b)``) as ids, ``(len(problems), PROMPT_LEN)`` int64."""
    ids = tokenizer().encode("".join(prompt_text(a, b) for a, b in problems))
    return torch.tensor(ids, dtype=torch.long, device=device).view(len(problems), PROMPT_LEN)


@torch.no_grad()
def greedy_completions(model, problems, max_new_tokens: int = COMPLETION_LEN, batch_size: int = 1000) -> list[str]:
    """The model's greedy (most likely character at each step) completion of each problem's prompt,
    as text of ``max_new_tokens`` characters (it may run on past END; read it with the format)."""
    mode_before = model.training
    model.eval()
    device = next(model.parameters()).device
    tok = tokenizer()
    texts = []
    for i in range(0, len(problems), batch_size):
        idx = encode_prompts(problems[i:i + batch_size], device)
        for _step in range(max_new_tokens):
            logits, _ = model(idx)
            idx = torch.cat([idx, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
        texts += [tok.decode(row) for row in idx[:, PROMPT_LEN:].tolist()]
    model.train(mode_before)
    return texts


def pass_at_k_curve(correct: torch.Tensor, ks, draws: int = 256, seed: int = 0) -> list[float]:
    """pass@k for each k in ``ks``, averaged over problems, estimated by resampling: ``correct`` is
    ``(problems, n)`` bool, one row a problem's n samples; each row is shuffled ``draws`` times and
    pass@k is how often a right sample is among the first k. (An estimate with a standard error of
    about 0.5 / sqrt(problems * draws); the scaling assignment derives Chen et al.'s exact estimator.)"""
    correct = torch.as_tensor(correct, dtype=torch.bool).cpu()
    problems, n = correct.shape
    generator = torch.Generator().manual_seed(seed)
    order = torch.rand(problems, draws, n, generator=generator).argsort(dim=-1)
    shuffled = correct[:, None, :].expand(problems, draws, n).gather(-1, order)
    # Position of the first right sample in each shuffle; n when none of the n is right.
    first_right = torch.where(shuffled.any(-1), shuffled.int().argmax(-1), torch.tensor(n))
    return [(first_right < k).double().mean().item() for k in ks]
