"""Snapshot the course book's own text as a small corpus for the tokenizer assignment.

    python scripts/make_book_corpus.py [--book book] [--out llmcourse/data/book_corpus.txt]

Reads every Markdown page under the book folder (sorted by path), keeps the prose and drops what
only the book builder reads: MyST targets like ``(label)=``, directive fences, link URLs and HTML
comments. Pages are written one after the other, separated by ``<|endoftext|>``.
"""
import argparse
import re
from pathlib import Path

END_OF_TEXT = "<|endoftext|>"
REPO = Path(__file__).resolve().parents[1]

TARGET = re.compile(r"^\([\w.:-]+\)=\s*$")                   # (reading-3b1b)=
FENCE = re.compile(r"^\s*(`{3,}|:{3,}).*$")                  # ```bash, :::{admonition} ..., :::
OPTION = re.compile(r"^:[\w-]+:.*$")                          # :class: tip (a directive's options)
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")                # [text](url) -> text
ROLE = re.compile(r"\{[\w:-]+\}`([^`]*)`")                    # {doc}`../x` -> ../x, {bdg-success}`Core` -> Core
COMMENT = re.compile(r"<!--.*?-->", re.S)


def clean_page(markdown: str) -> str:
    """The prose of one MyST Markdown page."""
    markdown = COMMENT.sub("", markdown)
    lines = []
    for line in markdown.splitlines():
        if TARGET.match(line) or FENCE.match(line) or OPTION.match(line):
            continue
        line = LINK.sub(r"\1", line)
        line = ROLE.sub(r"\1", line)
        lines.append(line.rstrip())
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    # The separator must stay unambiguous.
    return text.replace(END_OF_TEXT, "<|end of text|>")


def make_corpus(book: Path) -> str:
    pages = [clean_page(path.read_text(encoding="utf-8")) for path in sorted(book.rglob("*.md"))
             if "_build" not in path.parts]
    return END_OF_TEXT.join(page for page in pages if page.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--book", type=Path, default=REPO / "book")
    parser.add_argument("--out", type=Path, default=REPO / "llmcourse" / "data" / "book_corpus.txt")
    args = parser.parse_args()
    corpus = make_corpus(args.book)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(corpus, encoding="utf-8")
    pages = corpus.count(END_OF_TEXT) + 1 if corpus else 0
    print(f"wrote {args.out} ({pages} pages, {len(corpus.encode('utf-8')):,} bytes)")


if __name__ == "__main__":
    main()
