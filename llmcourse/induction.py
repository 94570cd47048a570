"""A two-layer, attention-only transformer that the course trained to do induction, and its task.

The task: a sequence holds a run of random tokens and, later, the same run again. From the second
copy on, the next token can be read off the first copy: "the last time I saw the current token, what
came next?" A two-layer attention-only model solves this with a known circuit: a *previous-token
head* in layer 0 writes "the token before me was X" into each position, and an *induction head* in
layer 1 looks for the position whose previous token is the current one and copies its token.

The model names its activations as TransformerLens does (``hook_embed``, ``blocks.0.hook_resid_pre``,
``blocks.1.attn.hook_z``, ``blocks.1.attn.hook_pattern``, ...). Each name is a :class:`HookPoint`, an
identity module, so the ordinary PyTorch forward-hook API reads and rewrites them::

    handle = model.hook_dict["blocks.0.attn.hook_pattern"].register_forward_hook(
        lambda module, inputs, output: print(output.shape))
    model(tokens)
    handle.remove()

A forward hook that returns a tensor replaces the activation for the rest of the forward pass.

One property to know: under ``torch.no_grad()`` the model writes the residual stream into one buffer
that it reuses from run to run (inference code often does this to avoid allocating), so the tensor a
hook receives at ``hook_embed``/``hook_resid_pre``/``hook_resid_post`` is overwritten later in the same
forward pass and by the next run. Keep a copy (``.clone()``) of anything you want to look at later.
The model never writes into a tensor that a hook *returned*.

The weights ship in ``llmcourse/checkpoints/induction-2l.pt``; ``scripts/train_induction_model.py``
reproduces them.
"""
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn

CHECKPOINT = Path(__file__).with_name("checkpoints") / "induction-2l.pt"
BOS = 0   # every sequence starts with this token; it never occurs elsewhere


@dataclass(frozen=True)
class InductionConfig:
    d_vocab: int = 64      # token 0 is BOS, tokens 1..63 are the random "words"
    n_ctx: int = 24
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    d_head: int = 16


class HookPoint(nn.Module):
    """An identity module that marks an activation, so that forward hooks can read or replace it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Attention(nn.Module):
    """Multi-head causal self-attention with TransformerLens's weight layout and hook points."""

    def __init__(self, cfg: InductionConfig):
        super().__init__()
        H, D, Dh = cfg.n_heads, cfg.d_model, cfg.d_head
        self.W_Q = nn.Parameter(torch.randn(H, D, Dh) / math.sqrt(D))
        self.W_K = nn.Parameter(torch.randn(H, D, Dh) / math.sqrt(D))
        self.W_V = nn.Parameter(torch.randn(H, D, Dh) / math.sqrt(D))
        self.W_O = nn.Parameter(torch.randn(H, Dh, D) / math.sqrt(H * Dh))
        self.b_Q = nn.Parameter(torch.zeros(H, Dh))
        self.b_K = nn.Parameter(torch.zeros(H, Dh))
        self.b_V = nn.Parameter(torch.zeros(H, Dh))
        self.b_O = nn.Parameter(torch.zeros(D))
        self.register_buffer("causal", torch.ones(cfg.n_ctx, cfg.n_ctx, dtype=torch.bool).tril(), persistent=False)
        self.hook_q = HookPoint()              # (batch, pos, head, d_head)
        self.hook_k = HookPoint()              # (batch, pos, head, d_head)
        self.hook_v = HookPoint()              # (batch, pos, head, d_head)
        self.hook_attn_scores = HookPoint()    # (batch, head, query_pos, key_pos), masked, before softmax
        self.hook_pattern = HookPoint()        # (batch, head, query_pos, key_pos), after softmax
        self.hook_z = HookPoint()              # (batch, pos, head, d_head): each head's weighted values

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        H, Dh = self.W_Q.shape[0], self.W_Q.shape[2]

        def project(W, b):   # (B, T, d_model) -> (B, T, head, d_head), all heads in one matmul
            return (x @ W.transpose(0, 1).reshape(x.shape[-1], H * Dh)).view(B, T, H, Dh) + b

        q = self.hook_q(project(self.W_Q, self.b_Q))
        k = self.hook_k(project(self.W_K, self.b_K))
        v = self.hook_v(project(self.W_V, self.b_V))
        scores = q.transpose(1, 2) @ k.permute(0, 2, 3, 1) / math.sqrt(Dh)          # (B, head, T, T)
        scores = self.hook_attn_scores(scores.masked_fill(~self.causal[:T, :T], float("-inf")))
        pattern = self.hook_pattern(scores.softmax(dim=-1))
        z = self.hook_z((pattern @ v.transpose(1, 2)).transpose(1, 2))              # (B, T, head, d_head)
        # Summing each head's z @ W_O is the same as concatenating the heads and projecting once.
        return z.reshape(B, T, H * Dh) @ self.W_O.reshape(H * Dh, -1) + self.b_O


class Block(nn.Module):
    """One attention-only layer: the residual stream plus what the heads write into it."""

    def __init__(self, cfg: InductionConfig):
        super().__init__()
        self.attn = Attention(cfg)
        self.hook_resid_pre = HookPoint()      # (batch, pos, d_model)
        self.hook_attn_out = HookPoint()       # (batch, pos, d_model)
        self.hook_resid_post = HookPoint()     # (batch, pos, d_model)

    def forward(self, resid: torch.Tensor, buffer: torch.Tensor | None = None) -> torch.Tensor:
        resid = self.hook_resid_pre(resid)
        attn_out = self.hook_attn_out(self.attn(resid))
        # Inference adds into the reusable buffer; training needs a fresh tensor for autograd.
        resid = torch.add(resid, attn_out, out=buffer) if buffer is not None else resid + attn_out
        return self.hook_resid_post(resid)


class InductionTransformer(nn.Module):
    """Token and position embeddings, attention-only blocks, an unembedding. No MLPs, no LayerNorm."""

    def __init__(self, cfg: InductionConfig = InductionConfig()):
        super().__init__()
        self.cfg = cfg
        self.W_E = nn.Parameter(torch.randn(cfg.d_vocab, cfg.d_model) * 0.1)
        self.W_pos = nn.Parameter(torch.randn(cfg.n_ctx, cfg.d_model) * 0.1)
        self.W_U = nn.Parameter(torch.randn(cfg.d_model, cfg.d_vocab) / math.sqrt(cfg.d_model))
        self.b_U = nn.Parameter(torch.zeros(cfg.d_vocab))
        self.hook_embed = HookPoint()          # (batch, pos, d_model)
        self.hook_pos_embed = HookPoint()      # (batch, pos, d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self._buffer: torch.Tensor | None = None

    @property
    def hook_dict(self) -> dict[str, HookPoint]:
        """Every hook point by its TransformerLens name, in the order the forward pass reaches them."""
        return {name: module for name, module in self.named_modules() if isinstance(module, HookPoint)}

    def _residual_buffer(self, like: torch.Tensor) -> torch.Tensor:
        if self._buffer is None or self._buffer.shape != like.shape or self._buffer.dtype != like.dtype \
                or self._buffer.device != like.device:
            self._buffer = torch.empty_like(like)
        return self._buffer

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (batch, pos) int64, pos <= n_ctx. Returns logits (batch, pos, d_vocab)."""
        T = tokens.shape[1]
        if T > self.cfg.n_ctx:
            raise ValueError(f"sequences of {T} tokens are longer than the model's context of {self.cfg.n_ctx}")
        embed = self.hook_embed(self.W_E[tokens])
        pos_embed = self.hook_pos_embed(self.W_pos[:T].expand_as(embed))
        buffer = None if torch.is_grad_enabled() else self._residual_buffer(embed)
        resid = torch.add(embed, pos_embed, out=buffer) if buffer is not None else embed + pos_embed
        for layer in self.blocks:
            resid = layer(resid, buffer)
        return resid @ self.W_U + self.b_U


# --- the task ------------------------------------------------------------------------------

def repeated_sequences(batch_size: int, n_ctx: int = 24, d_vocab: int = 64, min_run: int = 3,
                       max_run: int | None = None, generator: torch.Generator | None = None):
    """Sequences ``BOS, noise, run, run, noise`` of distinct random tokens, and where induction applies.

    Each row draws its own run length (``min_run..max_run``) and where the run starts, so that only
    "find the earlier copy" solves the task, not a fixed offset. Every token in a row is distinct
    except for the repeat, so the earlier copy is never ambiguous.

    Returns ``(tokens, predictable)``: ``tokens`` is (batch, n_ctx) int64; ``predictable`` is a bool
    (batch, n_ctx) mask, True at the positions in the second copy whose *next* token is the run's
    next token (the last position of the second copy is excluded: what follows it is noise).
    """
    max_run = max_run or (n_ctx - 1) // 2
    # Distinct random words per row: the first n_ctx - 1 entries of a random permutation of 1..d_vocab-1.
    words = 1 + torch.rand(batch_size, d_vocab - 1, generator=generator).argsort(dim=-1)[:, : n_ctx - 1]
    run = torch.randint(min_run, max_run + 1, (batch_size, 1), generator=generator)
    start = 1 + (torch.rand(batch_size, 1, generator=generator) * (n_ctx - 2 * run)).long()
    position = torch.arange(n_ctx)[None, :]
    # Position p shows word p - 1, except from the second copy on, which is shifted back by one run.
    word_index = (position - 1 - run * (position >= start + run)).clamp_min(0)
    tokens = words.gather(1, word_index)
    tokens[:, 0] = BOS
    predictable = (position >= start + run) & (position < start + 2 * run - 1)
    return tokens, predictable


def induction_accuracy(model: nn.Module, tokens: torch.Tensor, predictable: torch.Tensor) -> float:
    """Share of predictable positions where the model's top token is the one the first copy says."""
    with torch.no_grad():
        guesses = model(tokens).argmax(dim=-1)
    right = guesses[:, :-1] == tokens[:, 1:]
    return right[predictable[:, :-1]].float().mean().item()


# --- the shipped checkpoint ----------------------------------------------------------------

def save_induction_model(model: InductionTransformer, path: Path = CHECKPOINT, **extra) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
    torch.save({"config": asdict(model.cfg), "state_dict": state, **extra}, path)


def load_induction_model(device: str | torch.device = "cpu", path: Path = CHECKPOINT) -> InductionTransformer:
    """The course's trained two-layer induction model, in eval mode, on ``device`` (float32)."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = InductionTransformer(InductionConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval()
