"""Pictures of tokenization: tokens as coloured spans, a widget that steps through BPE merges, and
the compression ratio against the vocabulary size.

Only drawing lives here. Every function takes tokens that the notebook has already produced (a
list of ``bytes``, one per token), so the tokenizer itself stays the student's exercise.
"""
import html
from typing import Mapping, Sequence

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
