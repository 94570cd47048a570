"""The course's small instruction datasets, for supervised fine-tuning (the `lora` assignment).

Both hold 3,000 training then 300 validation requests and answers in one fixed template, made by
``scripts/make_sft_dataset.py`` from tiny Shakespeare and a fixed seed (the script's docstring says how):

- ``"lines"`` (``llmcourse/data/sft_lines.txt``, the assignment's task): the next word, or the rest,
  of a line of the plays; training lines come from the text the pretrained model was trained on,
  validation lines from the part it never saw::

      Q: next word: And let it not displease
      A: thee,

- ``"commands"`` (``llmcourse/data/sft_commands.txt``, a contrast): five small text commands (exclaim,
  spell, first, last, reverse) that copy and rearrange the words of a short phrase::

      Q: exclaim: sweet lady
      A: O sweet lady!

Every character belongs to tiny Shakespeare's vocabulary, so the course's pretrained character model
reads them as they are.

- :func:`load_sft_pairs` gives ``(prompt, response)`` string pairs: the prompt is ``"Q: ...\\nA: "``,
  the response is the answer and the newline that ends it.
- :func:`sft_tensors` turns pairs into padded tensors for next-token training: ``idx``, ``targets``
  and ``loss_mask``, where ``loss_mask[b, t]`` is True when ``targets[b, t]`` is a response character.
"""
from pathlib import Path

import torch

SFT_DATASETS = {name: Path(__file__).with_name("data") / f"sft_{name}.txt" for name in ("lines", "commands")}
N_TRAIN, N_VAL = 3000, 300
ANSWER = "A: "


def load_sft_pairs(split: str = "train", dataset: str = "lines") -> list[tuple[str, str]]:
    """The ``split`` (``"train"``: 3,000 pairs, or ``"val"``: 300) of ``dataset`` (``"lines"`` or
    ``"commands"``) as ``(prompt, response)`` pairs."""
    if split not in ("train", "val"):
        raise ValueError(f"split must be 'train' or 'val', not {split!r}")
    if dataset not in SFT_DATASETS:
        raise ValueError(f"dataset must be one of {sorted(SFT_DATASETS)}, not {dataset!r}")
    path = SFT_DATASETS[dataset]
    blocks = [b for b in path.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    assert len(blocks) == N_TRAIN + N_VAL, f"{path} holds {len(blocks)} examples"
    pairs = []
    for block in blocks:
        question, answer = block.split("\n" + ANSWER)
        pairs.append((question + "\n" + ANSWER, answer + "\n"))
    return pairs[:N_TRAIN] if split == "train" else pairs[N_TRAIN:]


def sft_tensors(pairs, tokenizer, length: int | None = None, pad_id: int = 0) -> dict[str, torch.Tensor]:
    """Pad ``pairs`` into tensors for next-token training on the responses.

    Each example's characters ``c_0 .. c_n`` (prompt then response) give inputs ``c_0 .. c_{n-1}`` and
    targets ``c_1 .. c_n``; ``loss_mask`` is True exactly where the target is a response character.
    Rows are padded on the right with ``pad_id`` (mask False) to ``length`` (default: the longest).

    Returns ``{"idx", "targets"}`` (N, length) int64 and ``"loss_mask"`` (N, length) bool.
    """
    rows = []
    for prompt, response in pairs:
        ids = tokenizer.encode(prompt + response)
        mask = [False] * (len(prompt) - 1) + [True] * len(response)
        rows.append((ids[:-1], ids[1:], mask))
    longest = max(len(x) for x, _, _ in rows)
    length = longest if length is None else length
    if longest > length:
        raise ValueError(f"an example needs {longest} positions, more than length={length}")
    idx = torch.full((len(rows), length), pad_id, dtype=torch.long)
    targets = torch.full((len(rows), length), pad_id, dtype=torch.long)
    loss_mask = torch.zeros((len(rows), length), dtype=torch.bool)
    for row, (x, y, m) in enumerate(rows):
        idx[row, :len(x)] = torch.tensor(x)
        targets[row, :len(y)] = torch.tensor(y)
        loss_mask[row, :len(m)] = torch.tensor(m)
    return {"idx": idx, "targets": targets, "loss_mask": loss_mask}
