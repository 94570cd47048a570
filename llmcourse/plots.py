"""Every picture the notebooks draw, in one place. Only drawing lives here: each function takes what
a notebook has already computed, so no exercise is solved in this module.

- Attention: ``plot_attention``, ``plot_heads`` and ``attention_explorer``, a widget over heads and
  positions (the attention and patching assignments).
- Tokenization: ``token_label``, ``tokens_html`` and ``show_tokens`` (tokens as coloured spans),
  ``merge_stepper`` (a widget that steps through BPE merges) and ``plot_compression`` (the
  tokenizer assignment). They take tokens as a list of ``bytes``, one per token.
- Automatic differentiation: ``draw_graph``, a scalar computation graph with each node's value and
  gradient (the backprop assignment).
- Reinforcement learning: ``draw_cartpole`` (a CartPole frame from its 4-number state, without
  pygame or a display), ``plot_rollout_strip``, ``plot_learning_curve`` and ``plot_clip_objective``
  (the ppo assignment).
"""
import html
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Circle, Rectangle


# ---------------------------------------------------------------------------------------------
# Attention
# ---------------------------------------------------------------------------------------------

def plot_attention(weights: torch.Tensor, labels: Sequence[str] | None = None, title: str = "",
                   ax=None, highlight_query: int | None = None):
    """Heatmap of one head's attention weights, queries down the side and keys along the top."""
    weights = weights.detach().float().cpu()
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    ax.imshow(weights, cmap="Blues", vmin=0.0, vmax=1.0)
    n_q, n_k = weights.shape
    if labels is not None:
        ax.set_xticks(range(n_k), labels[:n_k], rotation=90, fontsize=8)
        ax.set_yticks(range(n_q), labels[:n_q], fontsize=8)
    ax.set_xlabel("key position")
    ax.set_ylabel("query position")
    if highlight_query is not None:
        ax.axhline(highlight_query - 0.5, color="tab:orange")
        ax.axhline(highlight_query + 0.5, color="tab:orange")
    ax.set_title(title, fontsize=10)
    return ax


def plot_heads(attn: torch.Tensor, labels: Sequence[str] | None = None, head_names: Sequence[str] | None = None):
    """All heads of one example side by side; ``attn`` has shape (n_heads, T, T)."""
    n_heads = attn.shape[0]
    fig, axes = plt.subplots(1, n_heads, figsize=(3.2 * n_heads, 3.4), squeeze=False)
    for h, ax in enumerate(axes[0]):
        name = head_names[h] if head_names else f"head {h}"
        plot_attention(attn[h], labels, title=name, ax=ax)
    fig.tight_layout()
    return fig


def attention_explorer(attn: torch.Tensor, labels: Sequence[str] | None = None,
                       head_names: Sequence[str] | None = None):
    """An ipywidgets control: pick a head and a query position, see where that query attends.

    ``attn`` has shape (n_heads, T, T). Returns the widget (display it, or let it be the cell's value).
    """
    import ipywidgets as widgets

    attn = attn.detach().float().cpu()
    n_heads, T, _ = attn.shape
    labels = list(labels) if labels is not None else [str(t) for t in range(T)]
    names = list(head_names) if head_names else [f"head {h}" for h in range(n_heads)]

    def show(head: int, query: int):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
        plot_attention(attn[head], labels, title=names[head], ax=left, highlight_query=query)
        right.bar(range(T), attn[head, query], color="tab:orange")
        right.set_xticks(range(T), labels, rotation=90, fontsize=8)
        right.set_ylim(0, 1)
        right.set_title(f"query {query} ({labels[query]!r}) attends to…", fontsize=10)
        fig.tight_layout()
        plt.show()

    return widgets.interactive(
        show,
        head=widgets.Dropdown(options=[(n, h) for h, n in enumerate(names)], value=0, description="head"),
        query=widgets.IntSlider(min=0, max=T - 1, value=T - 1, description="query"),
    )

# ---------------------------------------------------------------------------------------------
# Tokenization
# ---------------------------------------------------------------------------------------------

# Pale, distinct backgrounds that keep black text readable; neighbours never share a colour.
PALETTE = ("#ffd6a5", "#caffbf", "#9bf6ff", "#bdb2ff", "#ffc6ff", "#fdffb6", "#a0c4ff", "#ffadad")


def token_label(piece: bytes) -> str:
    """How one token reads on screen: its UTF-8 text, with bytes that are not whole characters
    shown as ``\\xNN`` and whitespace made visible (space as ``·``, newline as ``↵``, tab as ``→``)."""
    text = piece.decode("utf-8", errors="backslashreplace")
    return text.replace(" ", "·").replace("\n", "↵").replace("\t", "→")


def tokens_html(pieces: Sequence[bytes], ids: Sequence[int] | None = None, max_tokens: int = 2000) -> str:
    """HTML for a token sequence: one coloured span per token, its id in the hover text.

    ``pieces[i]`` is the bytes of token i (``[vocab[t] for t in ids]``). A newline inside a token
    also breaks the line, so the text keeps its shape.
    """
    spans = []
    for position, piece in enumerate(pieces[:max_tokens]):
        colour = PALETTE[position % len(PALETTE)]
        hover = f"id {ids[position]}" if ids is not None else f"token {position}"
        hover += f" · {len(piece)} byte{'s' if len(piece) != 1 else ''}"
        label = html.escape(token_label(piece))
        breaks = "<br>" * piece.count(b"\n")
        spans.append(f'<span title="{hover}" style="background:{colour};border-radius:3px;padding:1px 1px;'
                     f'margin:0 1px;font-family:monospace;white-space:pre">{label}</span>{breaks}')
    more = len(pieces) - max_tokens
    tail = f' <i>… {more} more tokens</i>' if more > 0 else ""
    return f'<div style="line-height:1.9">{"".join(spans)}{tail}</div>'


def show_tokens(pieces: Sequence[bytes], ids: Sequence[int] | None = None, title: str = ""):
    """Display a token sequence as coloured spans (returns an IPython HTML object)."""
    from IPython.display import HTML

    heading = f"<b>{html.escape(title)}</b> " if title else ""
    count = f"<small>({len(pieces)} tokens, {sum(map(len, pieces))} bytes)</small>"
    return HTML(f"<div>{heading}{count}</div>" + tokens_html(pieces, ids))


def merge_stepper(steps: Sequence[Sequence[bytes]], captions: Sequence[str] | None = None):
    """An ipywidgets slider over snapshots of one text's tokens, e.g. after 0, 1, 2, ... merges.

    ``steps[k]`` is the list of token bytes at step k and ``captions[k]`` says what changed.
    Returns the widget (display it, or let it be the cell's value).
    """
    import ipywidgets as widgets

    captions = list(captions) if captions is not None else [f"step {k}" for k in range(len(steps))]
    view = widgets.HTML()

    def show(change=None):
        k = slider.value
        pieces = steps[k]
        view.value = (f"<div><b>{html.escape(captions[k])}</b> · {len(pieces)} tokens</div>"
                      + tokens_html(pieces))

    slider = widgets.IntSlider(min=0, max=len(steps) - 1, value=0, description="step",
                               layout=widgets.Layout(width="95%"))
    play = widgets.Play(min=0, max=len(steps) - 1, interval=400)
    widgets.jslink((play, "value"), (slider, "value"))
    slider.observe(show, names="value")
    show()
    return widgets.VBox([widgets.HBox([play, slider]), view])


def plot_compression(vocab_sizes: Sequence[int], ratios: Mapping[str, Sequence[float]], ax=None,
                     title: str = "compression against vocabulary size"):
    """Bytes per token (higher is better compression) against the vocabulary size, one line per text."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 3.8))
    for label, values in ratios.items():
        ax.plot(list(vocab_sizes), list(values), marker="o", ms=3, label=label)
    ax.set_xlabel("vocabulary size (256 bytes + merges)")
    ax.set_ylabel("bytes per token")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax

# ---------------------------------------------------------------------------------------------
# Reinforcement learning
# ---------------------------------------------------------------------------------------------

# CartPole-v1's geometry: the episode ends when |x| > 2.4 or |theta| > 12 degrees.
X_LIMIT = 2.4
THETA_LIMIT = 12 * 2 * np.pi / 360
POLE_LENGTH = 1.0   # gymnasium's `length` is half the pole, 0.5


def draw_cartpole(state: Sequence[float], ax=None, title: str | None = None):
    """Draw one CartPole frame from its state ``(x, x_dot, theta, theta_dot)`` on a matplotlib axis.

    The pole turns red once it is past the angle at which the episode would end.
    """
    x, _, theta, _ = (float(v) for v in state)
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 2))
    cart_w, cart_h = 0.5, 0.3
    ax.plot([-X_LIMIT - 0.4, X_LIMIT + 0.4], [0, 0], color="0.4", lw=1)
    for edge in (-X_LIMIT, X_LIMIT):
        ax.plot([edge, edge], [-0.1, 0.1], color="0.6", lw=1)
    ax.add_patch(Rectangle((x - cart_w / 2, 0), cart_w, cart_h, color="tab:blue"))
    pivot = np.array([x, cart_h])
    tip = pivot + POLE_LENGTH * np.array([np.sin(theta), np.cos(theta)])
    fallen = abs(theta) > THETA_LIMIT
    ax.plot([pivot[0], tip[0]], [pivot[1], tip[1]], color="tab:red" if fallen else "tab:orange",
            lw=5, solid_capstyle="round")
    ax.add_patch(Circle(pivot, 0.05, color="0.2", zorder=3))
    ax.set_xlim(-X_LIMIT - 0.5, X_LIMIT + 0.5)
    ax.set_ylim(-0.2, cart_h + POLE_LENGTH + 0.2)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_rollout_strip(states: np.ndarray, n_frames: int = 8, title: str = ""):
    """A strip of ``n_frames`` CartPole frames spread evenly over an episode's states."""
    picks = np.linspace(0, len(states) - 1, n_frames).round().astype(int)
    fig, axes = plt.subplots(1, n_frames, figsize=(1.9 * n_frames, 1.8))
    for ax, t in zip(np.atleast_1d(axes), picks):
        draw_cartpole(states[t], ax=ax, title=f"t = {t}")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_learning_curve(episode_returns: Sequence[float], window: int = 20, target: float | None = 475.0,
                        ax=None, label: str | None = None):
    """Episode returns in the order episodes finished, with their running mean over ``window`` episodes."""
    returns = np.asarray(episode_returns, dtype=float)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    episodes = np.arange(1, len(returns) + 1)
    ax.plot(episodes, returns, ".", ms=3, alpha=0.35, color="tab:blue")
    if len(returns) >= window:
        running = np.convolve(returns, np.ones(window) / window, mode="valid")
        ax.plot(episodes[window - 1:], running, color="tab:blue", label=label or f"mean of last {window}")
    if target is not None:
        ax.axhline(target, ls="--", color="tab:green", lw=1, label=f"target {target:g}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return")
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_clip_objective(loss_fn: Callable, clip_coef: float = 0.2, ax=None):
    """Plot the per-sample objective ``-loss_fn(log r, 0, A, clip_coef)`` against the ratio r, for A = +1 and A = -1.

    ``loss_fn`` is called as ``loss_fn(new_logprobs, old_logprobs, advantages, clip_coef)`` on one
    sample at a time, so this draws whatever the function computes: it is a picture, not a check.
    """
    import torch

    ratios = np.linspace(0.4, 1.6, 241)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for advantage, color in ((1.0, "tab:green"), (-1.0, "tab:red")):
        objective = [-float(loss_fn(torch.tensor([np.log(r)]), torch.tensor([0.0]),
                                    torch.tensor([advantage]), clip_coef)) for r in ratios]
        ax.plot(ratios, objective, color=color, label=f"A = {advantage:+g}")
    for edge in (1 - clip_coef, 1 + clip_coef):
        ax.axvline(edge, ls=":", color="0.5", lw=1)
    ax.axvline(1.0, color="0.8", lw=1)
    ax.set_xlabel(r"ratio $r = \pi_\theta(a|s) / \pi_{\theta_{old}}(a|s)$")
    ax.set_ylabel("objective (higher is better)")
    ax.legend(fontsize=8)
    return ax


# ---------------------------------------------------------------------------------------------
# Automatic differentiation
# ---------------------------------------------------------------------------------------------

def draw_graph(root, labels: Mapping | None = None, ax=None, title: str = "", max_nodes: int = 60):
    """Draw the computation graph that ends at ``root``, inputs on the left and ``root`` on the right.

    Each value is a box showing its ``data`` and ``grad``; the operation that made it (``_op``) is a
    circle just before it, with arrows from the values it was computed from (``_prev``). Any object
    with those four attributes will do, so this draws a micrograd-style ``Value`` graph.
    ``labels`` maps some of the nodes to names shown in their boxes (``{x: "x", h: "h"}``).
    """
    labels = labels or {}
    nodes, seen, stack = [], {id(root)}, [root]          # every node, found without recursion
    while stack:
        node = stack.pop()
        nodes.append(node)
        for child in node._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    if len(nodes) > max_nodes:
        raise ValueError(f"the graph has {len(nodes)} nodes; draw_graph draws at most {max_nodes}")
    # Column of a node: the length of the longest path from it to the root, found by relaxing edges
    # until nothing changes (at most as many rounds as there are nodes in these small graphs).
    depth = {id(n): 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for node in nodes:
            for child in node._prev:
                if depth[id(child)] < depth[id(node)] + 1:
                    depth[id(child)] = depth[id(node)] + 1
                    changed = True
        if not changed:
            break
    deepest = max(depth.values())
    columns = {}
    for node in nodes:
        columns.setdefault(depth[id(node)], []).append(node)
    # Rows: the root in the middle; each column ordered by where its nodes' consumers sit.
    y = {id(root): 0.0}
    for d in range(1, deepest + 1):
        column = columns.get(d, [])
        def consumers_height(n):
            ys = [y[id(p)] for p in nodes if id(p) in y and any(c is n for c in p._prev)]
            return -sum(ys) / len(ys) if ys else 0.0
        column.sort(key=consumers_height)
        for i, node in enumerate(column):
            y[id(node)] = (len(column) - 1) / 2 - i
    x = {id(n): 2.0 * (deepest - depth[id(n)]) for n in nodes}

    if ax is None:
        tallest = max(len(c) for c in columns.values())
        _, ax = plt.subplots(figsize=(min(2.2 * (deepest + 1) + 1, 11), 0.9 * tallest + 0.8))
    box = dict(boxstyle="round,pad=0.35", facecolor="#eef4fb", edgecolor="tab:blue")
    for node in nodes:
        nx, ny = x[id(node)], y[id(node)]
        name = next((label for key, label in labels.items() if key is node), "")
        text = (f"{name}\n" if name else "") + f"data {node.data:.4g}\ngrad {node.grad:.4g}"
        ax.text(nx, ny, text, ha="center", va="center", fontsize=8, bbox=box, zorder=3)
        if node._prev:
            ox = nx - 1.0
            ax.add_patch(Circle((ox, ny), 0.22, facecolor="#fdf1e0", edgecolor="tab:orange", zorder=3))
            ax.text(ox, ny, node._op or "?", ha="center", va="center", fontsize=8, zorder=4)
            ax.annotate("", xy=(nx - 0.55, ny), xytext=(ox + 0.22, ny),
                        arrowprops=dict(arrowstyle="->", color="0.4"), zorder=2)
            drawn = set()
            for child in node._prev:
                if id(child) in drawn:                    # a child used twice (a * a) gets one arrow
                    continue
                drawn.add(id(child))
                ax.annotate("", xy=(ox - 0.22, ny), xytext=(x[id(child)] + 0.55, y[id(child)]),
                            arrowprops=dict(arrowstyle="->", color="0.4", shrinkA=0, shrinkB=0), zorder=1)
    xs, ys = list(x.values()), list(y.values())
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
