"""Pictures the notebooks share: attention heatmaps and an explorer widget for heads and positions."""
from typing import Sequence

import matplotlib.pyplot as plt
import torch


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
