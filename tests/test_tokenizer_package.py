"""The tokenizer assignment's package code: the token pictures (llmcourse.plots), the book
corpus (llmcourse.corpora and scripts/make_book_corpus.py), and no solution anywhere in the package."""
import matplotlib
import pytest

from llmcourse import corpora
from llmcourse import plots
from tests.conftest import REPO, load_script
from tests.studentwork import secret_lines

matplotlib.use("Agg")


def corpus_script():
    return load_script("scripts/make_book_corpus.py")


def test_token_label_makes_whitespace_and_broken_bytes_visible():
    assert plots.token_label(b" the") == "·the"
    assert plots.token_label(b":\n\t") == ":↵→"
    assert plots.token_label("é".encode()) == "é"
    assert plots.token_label(b"\xe2\x82") == "\\xe2\\x82"


def test_tokens_html_has_one_escaped_span_per_token():
    pieces = [b"<|endoftext|>", b" a", b"\n"]
    html = plots.tokens_html(pieces, ids=[511, 300, 10])
    assert html.count("<span") == 3
    assert "&lt;|endoftext|&gt;" in html and "<|endoftext|>" not in html
    assert 'title="id 511 · 13 bytes"' in html
    assert "<br>" in html                       # the newline token breaks the line
    colours = [c for c in plots.PALETTE if c in html]
    assert len(colours) == 3                    # neighbours never share a colour


def test_tokens_html_truncates_long_sequences():
    html = plots.tokens_html([b"a"] * 30, max_tokens=10)
    assert html.count("<span") == 10 and "20 more tokens" in html


def test_show_tokens_is_displayable():
    shown = plots.show_tokens([b"he", b"llo"], [300, 301], title="demo")
    assert "2 tokens, 5 bytes" in shown.data and "demo" in shown.data


def test_merge_stepper_follows_its_slider():
    steps = [[b"a", b"b", b"c"], [b"ab", b"c"], [b"abc"]]
    widget = plots.merge_stepper(steps, ["bytes", "merge 1", "merge 2"])
    controls, view = widget.children
    play, slider = controls.children
    assert slider.max == 2 and play.max == 2
    assert "bytes" in view.value and view.value.count("<span") == 3
    slider.value = 2
    assert "merge 2" in view.value and view.value.count("<span") == 1


def test_plot_compression_draws_one_line_per_text():
    ax = plots.plot_compression([256, 512], {"a": [1.0, 2.0], "b": [1.0, 1.5]})
    assert len(ax.lines) == 2 and ax.get_ylabel() == "bytes per token"


def test_plots_hold_no_tokenizer():
    for name in ("merge", "get_pair_counts", "train_bpe", "BPETokenizer", "encode", "decode"):
        assert not hasattr(plots, name), f"llmcourse.plots must only draw, not tokenize ({name})"


def test_no_tokenizer_solution_or_hidden_test_in_the_package():
    secrets = secret_lines("tokenizer")
    assert secrets
    for path in (REPO / "llmcourse").rglob("*"):
        if path.is_file() and path.suffix in {".py", ".txt", ".json", ".md"}:
            text = path.read_text(errors="replace")
            leaked = [line for line in secrets if line in text]
            assert not leaked, f"{path.relative_to(REPO)} holds solution lines: {leaked[:3]}"


def test_book_corpus_ships_with_the_package():
    assert corpora.BOOK_CORPUS.is_file()
    assert corpora.BOOK_CORPUS.relative_to(REPO).as_posix() == "llmcourse/data/book_corpus.txt"
    pages = corpora.load_book_pages()
    assert len(pages) >= 2 and all(corpora.END_OF_TEXT not in page for page in pages)
    assert sum(len(page) for page in pages) > 10_000
    joined = corpora.load_book_text()
    assert joined.count(corpora.END_OF_TEXT) == len(pages) - 1
    assert corpora.END_OF_TEXT not in corpora.load_book_text(separator="\n\n")


def test_book_corpus_script_keeps_prose_and_drops_markup(tmp_path):
    script = corpus_script()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.md").write_text(
        "# Title\n\n(reading-x)=\n### A reading\n\n:::{admonition} Note\n:class: tip\nInside.\n:::\n\n"
        "See [the paper](https://arxiv.org/abs/1508.07909) and {doc}`other`.\n\n\n\n```bash\npip install x\n```\n"
        "<!-- a comment -->Stray <|endoftext|> text.\n")
    (tmp_path / "b.md").write_text("Second page.\n")
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "c.md").write_text("built copy, skipped\n")
    corpus = script.make_corpus(tmp_path)
    pages = corpus.split(script.END_OF_TEXT)
    assert len(pages) == 2
    first = pages[0]
    assert "(reading-x)=" not in first and ":::" not in first and ":class:" not in first and "```" not in first
    assert "See the paper and other." in first and "https://" not in first
    assert "Inside." in first and "pip install x" in first
    assert "comment" not in first and "\n\n\n" not in first
    assert "<|end of text|>" in first             # a separator inside a page is defused
    assert pages[1] == "Second page.\n"
