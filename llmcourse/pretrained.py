"""The course's pretrained model: a small character-level GPT trained on tiny Shakespeare.

Later notebooks (LoRA, activation patching) start from this model instead of training their own::

    from llmcourse.pretrained import load_pretrained

    model, tokenizer = load_pretrained("shakespeare-char")   # on the CPU, in eval mode
    idx = torch.tensor([tokenizer.encode("ROMEO:")])          # (1, T) int64
    logits, _ = model(idx)                                     # (1, T, vocab_size)
    tokenizer.decode(logits[0, -1:].argmax(-1).tolist())       # the most likely next character

- ``model`` is a :class:`GPT`; ``model.config`` is its :class:`GPTConfig`. ``model(idx, targets)``
  returns ``(logits, loss)``: logits ``(B, T, vocab_size)`` and, when ``targets`` (``(B, T)`` int64)
  is given, the mean next-character cross-entropy (``None`` otherwise). Inputs longer than
  ``config.block_size`` characters must be cropped by the caller.
- ``tokenizer`` is a :class:`CharTokenizer`: ``encode(str) -> list[int]``, ``decode(ids) -> str``,
  ``vocab_size``, and ``chars``, the vocabulary in id order (every character of tiny Shakespeare).
- :func:`pretrained_info` returns what was recorded with the checkpoint: its config, the training
  run's hyperparameters and seed, and its validation loss (see ``VAL_PROTOCOL`` below).

The model is GPT-2's layout at a small size: token and position embeddings, ``n_layer`` pre-norm
blocks (LayerNorm, causal self-attention, LayerNorm, a 4x GELU MLP), a final LayerNorm and an output
head that shares its weight with the token embedding. Its parameter names (``state_dict`` keys) are
the same as the GPT you build in the ``gpt`` assignment, so the checkpoint loads into your own
model too: ``my_gpt.load_state_dict(model.state_dict())``.

The checkpoint is reproduced, from its seed, by ``scripts/train_shakespeare_char.py``.
"""
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

CHECKPOINTS = Path(__file__).resolve().parent / "checkpoints"

# How the recorded validation loss is measured: the last 10% of tiny Shakespeare is the validation
# split; the loss is averaged over `windows` windows of `block_size` characters whose starts are
# spread evenly over that split (no randomness, so anyone can reproduce the number exactly).
VAL_FRACTION = 0.1


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 128
    tie_weights: bool = True


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(d_model, 3 * d_model)   # output splits as [q | k | v]
        self.proj = nn.Linear(d_model, d_model)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=-1)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(out.transpose(1, 2).reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, d_model: int):
        super().__init__()
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))


class Block(nn.Module):
    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head)
        self.norm2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.position_embedding = nn.Embedding(config.block_size, config.d_model)
        self.blocks = nn.ModuleList(Block(config.d_model, config.n_head) for _ in range(config.n_layer))
        self.norm_final = nn.LayerNorm(config.d_model)
        self.lm_head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.token_embedding.weight
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # GPT-2's initialisation; residual projections get scaled by 1/sqrt(2 * n_layer) below.
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)
        if isinstance(module, (CausalSelfAttention, MLP)):
            nn.init.normal_(module.proj.weight, std=0.02 / (2 * self.config.n_layer) ** 0.5)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        positions = torch.arange(T, device=idx.device)
        x = self.token_embedding(idx) + self.position_embedding(positions)
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.norm_final(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return logits, loss


class CharTokenizer:
    """Characters to integer ids and back, over a fixed vocabulary (``chars``, in id order)."""

    def __init__(self, chars: str):
        self.chars = chars
        self.vocab_size = len(chars)
        self._ids = {c: i for i, c in enumerate(chars)}

    def encode(self, text: str) -> list[int]:
        unknown = sorted(set(text) - set(self._ids))
        if unknown:
            raise ValueError(f"characters outside the vocabulary: {unknown}")
        return [self._ids[c] for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def __repr__(self):
        return f"CharTokenizer(vocab_size={self.vocab_size})"


def _checkpoint_path(name: str) -> Path:
    path = CHECKPOINTS / f"{name}.pt"
    if not path.is_file():
        known = sorted(p.stem for p in CHECKPOINTS.glob("*.pt"))
        raise ValueError(f"no pretrained model named {name!r}; the course ships {known}")
    return path


def _read(name: str) -> dict:
    return torch.load(_checkpoint_path(name), map_location="cpu", weights_only=True)


def pretrained_info(name: str = "shakespeare-char") -> dict:
    """What was recorded with a checkpoint: ``config``, ``train`` (hyperparameters, seed, time),
    ``val_loss`` (the whole validation split) and ``val_check`` (a small fixed set of windows,
    with the ``windows`` and ``block_size`` it was measured on)."""
    checkpoint = _read(name)
    return {key: value for key, value in checkpoint.items() if key not in ("state_dict", "chars")}


def load_pretrained(name: str = "shakespeare-char") -> tuple[GPT, CharTokenizer]:
    """The course's pretrained ``name`` as ``(model, tokenizer)``: the model on the CPU, in eval mode."""
    checkpoint = _read(name)
    model = GPT(GPTConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), CharTokenizer(checkpoint["chars"])


def save_checkpoint(path, model: GPT, tokenizer: CharTokenizer, **recorded) -> None:
    """Write a checkpoint that :func:`load_pretrained` reads: weights, config, vocabulary, and
    whatever else is ``recorded`` (hyperparameters, validation loss)."""
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    if model.config.tie_weights:
        state["lm_head.weight"] = state["token_embedding.weight"]   # saved once, not twice
    torch.save({"config": asdict(model.config), "chars": tokenizer.chars, "state_dict": state, **recorded}, path)
