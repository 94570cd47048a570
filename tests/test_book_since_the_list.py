"""Issue 23, part A: every chapter of the reading list closes with a section "Since the list": 2 to 5
optional readings where the field moved after the list (the ones the issue names among them, each in
the chapter where it belongs), or one line saying that it did not move; the syllabus lists these
sections with their time.

The tests of the chapter sources are fast; those that read the built book (tests/conftest.py builds it
once per session) are marked slow one by one, so that the source checks stay in the fast tier."""
import re

import pytest

from tests.conftest import REPO
from tests.test_book_chapters import BADGES, LIST_CHAPTERS, main_content, readings, soup

# Chapters where the field did not move: one line, no readings.
UNMOVED = {"week00", "week01", "history"}

# The readings the issue requires, by a link (or title) each must carry, chapter by chapter.
REQUIRED = {
    "architecture": {
        "RoPE (Su et al.)": ["https://arxiv.org/abs/2104.09864"],
        "GLU variants (Shazeer 2020)": ["https://arxiv.org/abs/2002.05202"],
        "grouped-query attention (Ainslie et al.)": ["https://arxiv.org/abs/2305.13245"],
        "FlashAttention (Dao et al.)": ["https://arxiv.org/abs/2205.14135"],
        "Megatron-LM read directly": ["https://arxiv.org/abs/1909.08053"],
        "ZeRO read directly": ["https://arxiv.org/abs/1910.02054"],
    },
    "pretraining": {
        "the Llama 3 report": ["https://arxiv.org/abs/2407.21783"],
        "muP (Yang et al.)": ["https://arxiv.org/abs/2203.03466"],
    },
    "data": {
        "FineWeb": ["https://arxiv.org/abs/2406.17557"],
        "DCLM": ["https://arxiv.org/abs/2406.11794"],
    },
    "sft": {"Tulu 3": ["https://arxiv.org/abs/2411.15124"]},
    "rlhf": {"DPO (Rafailov et al.)": ["https://arxiv.org/abs/2305.18290"]},
    "interpretability": {
        "the IOI circuit (Wang et al.)": ["https://arxiv.org/abs/2211.00593"],
        "ROME's causal tracing (Meng et al.)": ["https://arxiv.org/abs/2202.05262"],
        "sparse autoencoders (after Towards Monosemanticity)": ["Towards\nMonosemanticity|Towards Monosemanticity",
                                                               "https://arxiv.org/abs/2406.04093"],
        "attribution graphs / circuit tracing":
            ["https://transformer-circuits.pub/2025/attribution-graphs/methods.html"],
    },
    "efficiency": {
        "PagedAttention / vLLM": ["https://arxiv.org/abs/2309.06180"],
        "speculative decoding": ["https://arxiv.org/abs/2211.17192"],
        "quantisation: LLM.int8": ["https://arxiv.org/abs/2208.07339"],
        "quantisation: GPTQ or AWQ": ["https://arxiv.org/abs/2210.17323|https://arxiv.org/abs/2306.00978"],
    },
    "reasoning": {
        "does RLVR add ability or sharpen it (Yue et al. 2025)": ["https://arxiv.org/abs/2504.13837"],
        "DAPO or Dr. GRPO": ["https://arxiv.org/abs/2503.14476|https://arxiv.org/abs/2503.20783"],
        "test-time scaling (s1)": ["https://arxiv.org/abs/2501.19393"],
    },
    "risks": {
        "reward hacking": ["https://arxiv.org/abs/2503.11926"],
        "sycophancy": ["https://openai.com/index/sycophancy-in-gpt-4o/"],
        "evaluation awareness": ["https://arxiv.org/abs/2505.23836"],
    },
}

LINK = re.compile(r"\[[^\]]*\]\((\S+?)\)")
ABSOLUTE = re.compile(r"^https?://[^/\s]+\.[^/\s]+")      # as test_reading_links_are_absolute_urls


def chapter_source(chapter):
    return (REPO / "book" / chapter / "index.md").read_text()


def split_since(text):
    """(the page before "## Since the list", the section itself); the section must close the page."""
    parts = re.split(r"(?m)^## Since the list[ \t]*$", text)
    assert len(parts) == 2, f"expected one '## Since the list' heading, found {len(parts) - 1}"
    before, section = parts
    assert not re.search(r"(?m)^#{1,2} ", section), "'Since the list' must be the page's last section"
    return before, section


def entries(section):
    """{heading: body} for every '### ' reading of a Since-the-list section."""
    chunks = re.split(r"(?m)^### (.+)$", section)
    return dict(zip(chunks[1::2], chunks[2::2]))


# ---------------------------------------------------------------------------------------------
# The chapter sources.

@pytest.mark.parametrize("chapter", LIST_CHAPTERS)
def test_each_chapter_closes_with_since_the_list(chapter):
    before, section = split_since(chapter_source(chapter))
    for required in ("## Key ideas", "## Discussion questions"):
        assert required in before, f"{chapter} lost its '{required}' section"
    assert section.strip(), f"{chapter}'s 'Since the list' is empty"


@pytest.mark.parametrize("chapter", LIST_CHAPTERS)
def test_two_to_five_readings_or_one_line_where_the_field_did_not_move(chapter):
    _, section = split_since(chapter_source(chapter))
    found = entries(section)
    if chapter in UNMOVED:
        assert not found and not LINK.search(section), f"{chapter}: expected one line, no readings"
        assert "not moved" in section or "not been revised" in section, f"{chapter} must say the field did not move"
        assert len([p for p in section.split("\n\n") if p.strip()]) == 1, f"{chapter}: one paragraph"
        return
    assert 2 <= len(found) <= 5, f"{chapter} has {len(found)} readings since the list (2 to 5)"
    assert re.search(r"\*About [^*]*hours?[^*]*\*", section), f"{chapter}: say how long the section takes"


@pytest.mark.parametrize("chapter", sorted(set(LIST_CHAPTERS) - UNMOVED))
def test_each_reading_says_who_when_where_what_and_how_it_connects(chapter):
    _, section = split_since(chapter_source(chapter))
    for heading, body in entries(section).items():
        meta = body.strip().split("\n", 1)[0]
        assert meta.startswith("{bdg-secondary}`Optional`"), f"{heading!r}: the meta line carries the Optional badge"
        assert re.search(r"\b(19|20)\d\d\b", meta), f"{heading!r}: the meta line gives the year"
        assert LINK.search(meta), f"{heading!r}: the meta line links the reading"
        assert "*since the list*" in meta, f"{heading!r}: mark the reading as since the list"
        assert "**What to look for:**" in body, f"{heading!r} says nothing about what to look for"
        connects = body.split("**In the course:**", 1)
        assert len(connects) == 2, f"{heading!r} does not say how it connects to the course"
        assert "{doc}`" in connects[1], f"{heading!r}: connect it to a notebook or chapter with a link"


@pytest.mark.parametrize("chapter", LIST_CHAPTERS)
def test_new_links_are_absolute_and_not_already_on_the_page(chapter):
    before, section = split_since(chapter_source(chapter))
    old = set(LINK.findall(before))
    for url in LINK.findall(section):
        assert ABSOLUTE.match(url), f"{chapter}: {url!r} is not an absolute http(s) URL"
        if "arxiv.org" in url:
            assert re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", url), f"{chapter}: link arXiv abstracts, not {url!r}"
        assert url not in old, f"{chapter}: {url} is already a reading of the chapter"


def test_no_reading_is_added_to_two_chapters():
    seen = {}
    for chapter in LIST_CHAPTERS:
        _, section = split_since(chapter_source(chapter))
        for url in set(LINK.findall(section)):
            assert url not in seen, f"{url} is a reading since the list in both {seen[url]} and {chapter}"
            seen[url] = chapter


@pytest.mark.parametrize("chapter", sorted(REQUIRED))
def test_the_issues_readings_are_in_the_chapter_where_they_belong(chapter):
    _, section = split_since(chapter_source(chapter))
    for name, needles in REQUIRED[chapter].items():
        for needle in needles:
            assert any(n in section for n in needle.split("|")), f"{chapter} lacks {name} ({needle})"


def test_the_syllabus_lists_the_sections_with_their_time():
    text = (REPO / "book" / "syllabus.md").read_text()
    assert "## Since the list" in text and text.index("## Since the list") < text.index("## A week in the course")
    section = text.split("## Since the list", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| \{doc\}`([\w-]+)/index` \|(.*)\|(.*)\|$", line)
        if match:
            rows[match.group(1)] = (match.group(2).strip(), match.group(3).strip())
    assert list(rows) == LIST_CHAPTERS, "the syllabus lists every chapter's section, in the book's order"
    for chapter, (_, time) in rows.items():
        if chapter in UNMOVED:
            assert time == "none", f"{chapter}: no readings, so no time"
        else:
            assert re.fullmatch(r"[\d.]+ h", time), f"{chapter}: give the section's time in hours, not {time!r}"
            _, page = split_since(chapter_source(chapter))
            hours = re.search(r"\*About ([\d.]+|an?|one|two|three) hours?", page).group(1)
            words = {"a": "1", "an": "1", "one": "1", "two": "2", "three": "3"}
            assert words.get(hours, hours) == time[:-2], f"{chapter}: the syllabus says {time}, the page {hours} h"


# ---------------------------------------------------------------------------------------------
# The built book: the sections render, and their links are checked as the list's readings are.

@pytest.mark.slow
@pytest.mark.parametrize("chapter", LIST_CHAPTERS)
def test_since_the_list_renders_last_with_absolute_links(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    section = article.find("section", id="since-the-list")
    assert section is not None, f"{chapter} renders no 'since-the-list' section"
    siblings = [s for s in section.parent.find_all("section", recursive=False)]
    assert siblings[-1] is section, f"{chapter}: 'Since the list' is not the last section"
    found = readings(section)
    if chapter in UNMOVED:
        assert not found
        return
    assert 2 <= len(found) <= 5
    for title, para in found:
        badges = {b.get_text(strip=True) for b in para.find_all(class_="sd-badge")} & BADGES
        assert badges == {"Optional"}, f"{title!r}: readings since the list are optional"
        links = [a.get("href", "") for a in para.find_all("a")]
        assert links, f"reading {title!r} has no link"
        bad = [h for h in links if not ABSOLUTE.match(h)]
        assert not bad, f"reading {title!r} links to {bad}: readings must link to absolute http(s) URLs"
    assert not section.find_all("a", href="#") and "(#)" not in section.get_text()


@pytest.mark.slow
def test_the_built_syllabus_links_each_chapters_section(built_book):
    page = main_content(soup(built_book, "book/syllabus"))
    section = page.find("section", id="since-the-list")
    assert section is not None, "the syllabus renders no 'since-the-list' section"
    html = str(section)
    for chapter in LIST_CHAPTERS:
        assert f"{chapter}/index.html" in html, f"the syllabus's 'Since the list' skips {chapter}"
