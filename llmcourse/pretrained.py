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
  ``config.block_size`` characters must be cropped by the caller. ``model.hidden_states(idx)`` gives
  the final hidden states ``(B, T, d_model)``, after the last LayerNorm, for a head of your own (rlhf).
- ``tokenizer`` is a :class:`CharTokenizer`: ``encode(str) -> list[int]``, ``decode(ids) -> str``,
  ``vocab_size``, and ``chars``, the vocabulary in id order (every character of tiny Shakespeare).
- :func:`pretrained_info` returns what was recorded with the checkpoint: its config, the training
  run's hyperparameters and seed, and its validation loss (see ``VAL_FRACTION`` below).

The model is GPT-2's layout at a small size: token and position embeddings, ``n_layer`` pre-norm
layers (LayerNorm, causal self-attention, LayerNorm, a 4x GELU MLP), a final LayerNorm, and logits
computed with the token embedding matrix itself (tied weights). It is written with PyTorch's own
modules (``nn.LayerNorm``, ``nn.GELU``): it is not the code the ``gpt`` assignment asks you to write.
The checkpoint loads into the GPT you build there too, under that assignment's parameter names::

    from llmcourse.pretrained import pretrained_info, pretrained_state_dict
    mine = GPT(GPTConfig(**pretrained_info("shakespeare-char")["config"]))   # your GPT
    mine.load_state_dict(pretrained_state_dict("shakespeare-char"))

The checkpoint is reproduced, from its seed, by ``scripts/train_shakespeare_char.py``.
"""
import math
from collections import OrderedDict
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
    """The gpt assignment's given attention: one fused ``qkv`` projection, then ``proj``."""

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


class TransformerLayer(nn.Module):
    """One pre-norm layer, built from PyTorch's own LayerNorm, Linear and GELU."""

    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        self.ln_attn = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head)
        self.ln_mlp = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(OrderedDict(fc=nn.Linear(d_model, 4 * d_model), gelu=nn.GELU(),
                                            proj=nn.Linear(4 * d_model, d_model)))

    def forward(self, h):
        h = h + self.attn(self.ln_attn(h))
        return h + self.ff(self.ln_mlp(h))


class GPT(nn.Module):
    """The course's character-level language model (GPT-2's layout at a small size)."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.pos = nn.Embedding(config.block_size, config.d_model)
        self.layers = nn.ModuleList([TransformerLayer(config.d_model, config.n_head)
                                     for _ in range(config.n_layer)])
        self.ln_out = nn.LayerNorm(config.d_model)
        # Tied: the logits reuse `embed.weight`, so there is no head of its own to store or train.
        self.head = None if config.tie_weights else nn.Linear(config.d_model, config.vocab_size, bias=False)
        self._initialise()

    def _initialise(self):
        # GPT-2's scheme: N(0, 0.02) for matrices, zero biases, and residual output projections
        # shrunk by 1/sqrt(2 * n_layer) so the residual stream's variance does not grow with depth.
        residual_std = 0.02 / math.sqrt(2 * self.config.n_layer)
        for name, param in self.named_parameters():
            if name.endswith(".bias"):
                nn.init.zeros_(param)
            elif name.endswith("proj.weight"):
                nn.init.normal_(param, std=residual_std)
            elif param.dim() == 2:
                nn.init.normal_(param, std=0.02)

    def output_weight(self) -> torch.Tensor:
        return self.embed.weight if self.head is None else self.head.weight

    def hidden_states(self, idx: torch.Tensor) -> torch.Tensor:
        """The final hidden states, after the last LayerNorm: ``(B, T, d_model)`` for ``idx`` ``(B, T)``
        int64. Position ``t`` has read ``idx[:, :t + 1]`` only (the attention is causal); the logits
        are these states times the output matrix, so a new head (a reward model's, say) can read them."""
        h = self.embed(idx) + self.pos.weight[: idx.shape[1]]
        for layer in self.layers:
            h = layer(h)
        return self.ln_out(h)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        logits = F.linear(self.hidden_states(idx), self.output_weight())
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


# The checkpoint stores its weights under the names of the gpt assignment's GPT, so that students can
# load it into the model they build; this package's GPT names some of its parts differently. Names
# are renamed part by part (``layers.0.ln_attn.weight`` <-> ``blocks.0.norm1.weight``).
_ASSIGNMENT_NAME_OF = {"embed": "token_embedding", "pos": "position_embedding", "layers": "blocks",
                       "ln_attn": "norm1", "ln_mlp": "norm2", "ff": "mlp", "ln_out": "norm_final", "head": "lm_head"}
_PACKAGE_NAME_OF = {assignment: package for package, assignment in _ASSIGNMENT_NAME_OF.items()}


def _rename(name: str, part_names: dict) -> str:
    return ".".join(part_names.get(part, part) for part in name.split("."))


def assignment_state_dict(model: GPT) -> dict:
    """``model``'s weights under the gpt assignment's parameter names (``token_embedding.weight``,
    ``blocks.0.norm1.weight``, ..., ``lm_head.weight``), for ``my_gpt.load_state_dict(...)``."""
    state = {_rename(name, _ASSIGNMENT_NAME_OF): tensor for name, tensor in model.state_dict().items()}
    if model.config.tie_weights:
        state["lm_head.weight"] = state["token_embedding.weight"]
    return state


def _package_state_dict(state: dict, tie_weights: bool) -> dict:
    return {_rename(name, _PACKAGE_NAME_OF): tensor for name, tensor in state.items()
            if not (tie_weights and name == "lm_head.weight")}


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
    config = GPTConfig(**checkpoint["config"])
    model = GPT(config)
    model.load_state_dict(_package_state_dict(checkpoint["state_dict"], config.tie_weights))
    return model.eval(), CharTokenizer(checkpoint["chars"])


def pretrained_state_dict(name: str = "shakespeare-char") -> dict:
    """The checkpoint's weights under the gpt assignment's parameter names: load them into the GPT you
    built there with ``GPT(GPTConfig(**pretrained_info(name)["config"])).load_state_dict(...)``."""
    return _read(name)["state_dict"]


def save_checkpoint(path, model: GPT, tokenizer: CharTokenizer, **recorded) -> None:
    """Write a checkpoint that :func:`load_pretrained` reads: weights, config, vocabulary, and
    whatever else is ``recorded`` (hyperparameters, validation loss)."""
    state = {k: v.detach().cpu().clone() for k, v in assignment_state_dict(model).items()}
    if model.config.tie_weights:
        state["lm_head.weight"] = state["token_embedding.weight"]   # one tensor, stored once
    torch.save({"config": asdict(model.config), "chars": tokenizer.chars, "state_dict": state, **recorded}, path)
