"""Corpora besides tiny Shakespeare: a snapshot of this course's own book, shipped inside the package.

The snapshot ``llmcourse/data/book_corpus.txt`` is made by ``scripts/make_book_corpus.py`` from the
book's Markdown pages. Pages are stored one after the other, separated by ``<|endoftext|>``, the
way GPT-2's training data marks the end of a document.
"""
from pathlib import Path

BOOK_CORPUS = Path(__file__).with_name("data") / "book_corpus.txt"
END_OF_TEXT = "<|endoftext|>"


def load_book_pages() -> list[str]:
    """The book's pages as a list of strings, in the order of their paths."""
    text = BOOK_CORPUS.read_text(encoding="utf-8")
    return [page for page in text.split(END_OF_TEXT) if page.strip()]


def load_book_text(separator: str = END_OF_TEXT) -> str:
    """The book's pages as one string, pages joined by ``separator`` (``"\\n\\n"`` for plain text)."""
    return separator.join(load_book_pages())
