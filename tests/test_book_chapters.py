"""The book's chapters: one per section of the reading list, in its order, each with its readings
(linked to the real thing), key ideas, discussion questions and a demo that ran at build time.

Run with COURSE_BOOK_BUILD_DIR set to a scratch folder so the build does not touch the repository's
_build (tests/conftest.py builds the book once per session)."""
import ast
import html as html_lib
import json
import re
import sqlite3
from pathlib import Path

import nbformat
import numpy as np
import pytest
import yaml
from bs4 import BeautifulSoup
from PIL import Image

from grader.notebooks import MARKERS
from tests.conftest import REPO

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

# The reading list's sections, in its order, and the folders the rest of the course links to;
# "evaluation" is the book's own chapter (the list has none), placed after scaling.
CHAPTERS = [
    "week00", "week01", "implementation", "architecture", "pretraining", "data", "sft", "rlhf",
    "prompting", "interpretability", "scaling", "evaluation", "efficiency", "deep-rl", "reasoning", "risks",
    "history",
]
# The chapters that follow a section of the list (the book's own chapters left out).
LIST_CHAPTERS = [chapter for chapter in CHAPTERS if chapter != "evaluation"]

# Every reading of the list, by (a distinctive part of) its title, chapter by chapter.
LIST_READINGS = {
    "week00": ["Neural Networks", "Neural Networks and Deep Learning", "Deep Learning"],
    "week01": ["Transformers from Scratch", "The Illustrated Transformer", "The Illustrated GPT-2",
               "Attention Is All You Need", "The Annotated Transformer"],
    "implementation": ["Let's build GPT", "Zero to Hero"],
    "architecture": ["Formal Algorithms for Transformers", "Using the Output Embedding to Improve Language Models",
                     "Layer Normalization", "Root Mean Square Layer Normalization",
                     "How to Train Really Large Models on Many GPUs?"],
    "pretraining": ["Improving Language Understanding by Generative Pre-Training",
                    "Language Models are Unsupervised Multitask Learners"],
    "data": ["The Pile: An 800GB Dataset of Diverse Text for Language Modeling",
             "Documenting Large Webtext Corpora", "Let's build the GPT Tokenizer",
             "Neural Machine Translation of Rare Words with Subword Units"],
    "sft": ["LoRA: Low-Rank Adaptation of Large Language Models", "ReFT: Representation Finetuning for Language Models",
            "Training language models to follow instructions with human feedback"],
    "rlhf": ["Deep reinforcement learning from human preferences", "RLHF: Reinforcement Learning from Human Feedback",
             "Illustrating Reinforcement Learning from Human Feedback", "Constitutional AI",
             "Open Problems and Fundamental Limitations of Reinforcement Learning from Human Feedback"],
    "prompting": ["Language Models are Few-Shot Learners",
                  "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models"],
    "interpretability": ["Zoom In: An Introduction to Circuits", "Toy Models of Superposition",
                         "Towards Monosemanticity", "Scaling Monosemanticity", "Fact Finding",
                         "How might LLMs store facts", "How to use and interpret activation patching",
                         "Mechanistic Interpretability for AI Safety", "A Mathematical Framework for Transformer Circuits"],
    "scaling": ["The Scaling Hypothesis", "More Is Different for AI", "The Bitter Lesson", "Neural scaling law",
                "Scaling Laws for Neural Language Models", "Training Compute-Optimal Large Language Models",
                "DeepSeek LLM", "Epoch AI", "Scaling LLM Test-Time Compute Optimally", "Scaling Scaling Laws with Board Games"],
    # not from the list: the book's own chapter, checked the same way
    "evaluation": ["Measuring Massive Multitask Language Understanding", "Training Verifiers to Solve Math Word Problems",
                   "Evaluating Large Language Models Trained on Code", "SWE-bench", "Humanity's Last Exam",
                   "Performance on Grade School Arithmetic", "Proving Test Set Contamination",
                   "Sensitivity to Spurious Features in Prompt Design", "Judging LLM-as-a-Judge",
                   "Chatbot Arena: An Open Platform", "The Leaderboard Illusion",
                   "Holistic Evaluation of Language Models", "lm-evaluation-harness", "Inspect",
                   "Adding Error Bars to Evals", "Measuring AI Ability to Complete Long Tasks"],
    "efficiency": ["Mixture-of-Experts (MoE) LLMs", "DeepSeekMoE", "DeepSeek-V2"],
    "deep-rl": ["Introduction to RL", "algorithm documentation", "Reinforcement Learning: An Introduction",
                "Proximal Policy Optimization Algorithms", "Policy Gradient methods", "Policy Gradient Methods",
                "DeepSeekMath"],
    "reasoning": ["Mastering the game of Go without human knowledge", "Thinking Fast and Slow with Deep Learning and Tree Search",
                  "Iterated Distillation and Amplification", "Scaling test-time compute with open models", "DeepSeek-R1"],
    "risks": ["Goal misgeneralisation", "Deceptive alignment", "Alignment faking in large language models",
              "Frontier Models are Capable of In-context Scheming", "Supervising strong learners by amplifying weak experts",
              "An overview of 11 proposals for building safe advanced AI"],
    "history": ["Transformers: the Google scientists who pioneered an AI revolution",
                "8 Google Employees Invented Modern AI", "Was Linguistic A.I. Created by Accident?",
                "The Unreasonable Effectiveness of Recurrent Neural Networks", "The Making of ChatGPT"],
}

# Only these may be imported by a demo: the book must build from requirements.txt alone.
DEMO_IMPORTS = {"numpy", "torch", "matplotlib", "ipywidgets", "math", "collections", "itertools", "random",
                "functools", "time", "json", "copy",
                "llmcourse",    # the course package is in requirements.txt (-e .): the evaluation demo loads its model
                "tokenizers"}   # the BPE demo lets a library train, so the book does not answer the assignment
BADGES = {"Core", "Optional"}


def toc_files():
    """Every file named in _toc.yml, in order."""
    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for key in ("root", ):
                if key in node:
                    yield node[key]
            for value in node.values():
                if isinstance(value, (list, dict)):
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)
    return list(walk(yaml.safe_load((REPO / "_toc.yml").read_text())))


def demo_docs():
    """The demo notebooks of the chapters: book/<chapter>/<name> entries of the toc other than index."""
    docs = []
    for doc in toc_files():
        parts = Path(doc).parts
        if len(parts) == 3 and parts[0] == "book" and parts[1] in CHAPTERS and parts[2] != "index":
            docs.append(doc)
    return docs


def demo_source(doc):
    for suffix in (".ipynb", ".md"):
        if (REPO / f"{doc}{suffix}").exists():
            return REPO / f"{doc}{suffix}"
    raise AssertionError(f"{doc} is in the toc but has no .ipynb or .md source")


def soup(html_dir, doc):
    page = html_dir / f"{doc}.html"
    assert page.exists(), f"{doc} did not render ({page.relative_to(html_dir)} is missing)"
    return BeautifulSoup(page.read_text(), "html.parser")


def main_content(page):
    article = page.find("article") or page.find("main")
    assert article is not None, "page has no <article>/<main> element"
    return article


def readings(article):
    """(title, meta paragraph) of every reading: an h3 section whose first paragraph carries a
    Core/Optional badge."""
    found = []
    for section in article.find_all("section"):
        heading = section.find(["h1", "h2", "h3", "h4"], recursive=False)
        if heading is None or heading.name != "h3":
            continue
        para = section.find("p", recursive=False)
        badges = {b.get_text(strip=True) for b in para.find_all(class_="sd-badge")} if para else set()
        if badges & BADGES:
            found.append((heading.get_text(" ", strip=True).rstrip("#").strip(), para))
    return found


# ---------------------------------------------------------------------------------------------
# Structure: the 16 chapters, in the list's order, in the toc and rendered.

def test_chapters_are_in_the_toc_in_the_lists_order():
    files = toc_files()
    assert files[0] == "book/intro"
    chapter_pages = [f for f in files if f.startswith("book/") and f.endswith("/index")]
    assert chapter_pages == [f"book/{c}/index" for c in CHAPTERS]
    assert "book/syllabus" in files and "book/instructors" in files


def test_week1_keeps_the_attention_assignment_as_its_section():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    week1 = [ch for part in toc["parts"] for ch in part["chapters"] if ch["file"] == "book/week01/index"]
    assert week1 and "assignments/attention/attention" in [s["file"] for s in week1[0].get("sections", [])]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_renders_with_its_sections(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    assert article.find("h1"), "no title"
    ids = {s.get("id") for s in article.find_all("section")}
    for required in ("readings", "key-ideas", "discussion-questions"):
        if required == "readings" and chapter in {"sft", "deep-rl", "efficiency", "risks"}:
            continue  # these chapters group their readings under the list's own sub-headings
        assert required in ids, f"{chapter} has no '{required}' section"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_has_discussion_questions(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    section = article.find("section", id="discussion-questions")
    assert section is not None, f"{chapter} has no discussion-questions section"
    questions = section.find_all("li")
    assert len(questions) >= 4, f"{chapter} has only {len(questions)} discussion questions"
    assert all(q.get_text(strip=True).endswith(("?", ".", ")")) for q in questions)


# ---------------------------------------------------------------------------------------------
# Readings: every reading of the list appears, marked core or optional, linked to the real thing.

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_reading_of_the_list_appears(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    titles = " | ".join(title for title, _ in readings(article)).lower()
    titles = titles.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    missing = [t for t in LIST_READINGS[chapter] if t.lower() not in titles]
    assert not missing, f"{chapter} lacks readings titled {missing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reading_links_are_absolute_urls(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    found = readings(article)
    assert found, f"{chapter} has no readings marked Core or Optional"
    for title, para in found:
        links = [a.get("href", "") for a in para.find_all("a")]
        assert links, f"reading {title!r} has no link"
        bad = [h for h in links if not re.match(r"^https?://[^/\s]+\.[^/\s]+", h)]
        assert not bad, f"reading {title!r} links to {bad}: readings must link to absolute http(s) URLs"
    # and nothing anywhere on the page is a placeholder link
    assert not article.find_all("a", href="#")
    assert "(#)" not in article.get_text()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_marks_core_readings(built_book, chapter):
    article = main_content(soup(built_book, f"book/{chapter}/index"))
    kinds = [{b.get_text(strip=True) for b in para.find_all(class_="sd-badge")} & BADGES for _, para in readings(article)]
    assert all(len(k) == 1 for k in kinds), "each reading carries exactly one of Core / Optional"
    assert any("Core" in k for k in kinds), f"{chapter} has no core reading"


def test_chapter_links_each_assignment_listed_under_it(built_book):
    """An assignment in the toc under a chapter is linked from that chapter's page (and no chapter
    links an assignment page that is not built)."""
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            for section in chapter.get("sections", []):
                if section["file"].startswith("assignments/"):
                    page = str(soup(built_book, chapter["file"]))
                    name = Path(section["file"]).name
                    assert f"assignments/{name}/{name}.html" in page, f"{chapter['file']} does not link {section['file']}"


def test_internal_links_resolve(built_book):
    """Cross-references between pages (chapters, demos, assignments) point at pages that exist."""
    for doc in toc_files():
        if not doc.startswith("book/"):
            continue
        page = built_book / f"{doc}.html"
        for a in main_content(soup(built_book, doc)).find_all("a", href=True):
            href = a["href"]
            if re.match(r"^[a-z]+:", href) or href.startswith("#"):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            assert target.exists(), f"{doc} links to {href}, which does not exist"


# ---------------------------------------------------------------------------------------------
# Pages: none empty, none leaking solutions.

def test_no_page_is_empty(built_book):
    for doc in toc_files():
        article = main_content(soup(built_book, doc))
        text = article.get_text(" ", strip=True)
        assert len(text) > 400, f"{doc} is nearly empty ({len(text)} characters)"


def test_no_solution_or_hidden_test_text_in_the_html(built_book):
    """Neither the HTML (as markup or as visible text) nor the page sources the site serves
    (_sources/, downloadable notebooks) contain nbgrader's solution or hidden-test markers."""
    served = [p for p in built_book.rglob("*") if p.is_file() and p.suffix in {".html", ".md", ".ipynb", ".txt"}
              and "_static" not in p.parts]
    for path in served:
        raw = path.read_text(errors="replace")
        text = html_lib.unescape(re.sub(r"<[^>]+>", "", raw)) if path.suffix == ".html" else raw
        text = re.sub(r"\s+", " ", text)
        for marker in MARKERS:
            assert marker not in raw and marker not in text, f"{path.relative_to(built_book)} shows {marker!r}"


def test_syllabus_and_instructor_pages(built_book):
    syllabus = main_content(soup(built_book, "book/syllabus")).get_text(" ", strip=True)
    for phrase in ("Prerequisites", "hidden tests", "visible check", ".ipynb", "schedule"):
        assert phrase in syllabus, f"the syllabus does not mention {phrase!r}"
    for chapter in CHAPTERS:
        assert f"{chapter}/index.html" in str(soup(built_book, "book/syllabus")), f"the syllabus skips {chapter}"
    instructors = main_content(soup(built_book, "book/instructors")).get_text(" ", strip=True)
    for command in ("release", "collect", "autograde", "feedback", "export", "publish"):
        assert f"python -m grader {command}" in instructors, f"the instructors' page lacks {command!r}"
    assert "private" in instructors and "gradebook" in instructors


# ---------------------------------------------------------------------------------------------
# Demos: every chapter but Week 1 has one; they ran at build time, quickly, and draw figures.

def test_every_chapter_but_week1_has_a_demo():
    chapters_with_demo = {Path(d).parts[1] for d in demo_docs()}
    assert set(CHAPTERS) - {"week01"} <= chapters_with_demo, sorted(set(CHAPTERS) - {"week01"} - chapters_with_demo)


@pytest.mark.parametrize("doc", demo_docs())
def test_demo_source_is_clean_and_self_contained(doc):
    path = demo_source(doc)
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: commit demos without outputs"
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    else:
        text = path.read_text()
        assert "kernelspec" in text.split("---")[1], f"{path.name} lacks jupytext/kernelspec front matter"
        code = "\n".join(re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S))
    modules = set()
    for node in ast.walk(ast.parse("\n".join(l for l in code.splitlines() if not l.lstrip().startswith(("%", "!"))))):
        if isinstance(node, ast.Import):
            modules |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
    assert modules <= DEMO_IMPORTS, f"{path.name} imports {sorted(modules - DEMO_IMPORTS)}"


@pytest.mark.parametrize("doc", demo_docs())
def test_demo_page_shows_a_figure(built_book, doc):
    article = main_content(soup(built_book, doc))
    images = [img for img in article.find_all("img") if "_images/" in img.get("src", "")]
    assert images, f"{doc} shows no figure"
    for img in images:
        target = (built_book / f"{doc}.html").parent / img["src"]
        assert target.exists() and target.stat().st_size > 2000, f"{doc}: figure {img['src']} is missing or tiny"
    assert not article.find_all(class_="output error"), f"{doc} shows an error output"
    assert "Traceback" not in article.get_text()


def test_demos_ran_within_a_minute(built_book):
    """jupyter-cache records how long each demo took to execute during the build."""
    db = built_book.parent / ".jupyter_cache" / "global.db"
    assert db.exists(), "no execution cache next to the HTML: did the demos execute?"
    rows = sqlite3.connect(db).execute("SELECT uri, data FROM nbcache").fetchall()
    seconds = {Path(uri).resolve(): json.loads(data or "{}").get("execution_seconds") for uri, data in rows}
    for doc in demo_docs():
        took = seconds.get(demo_source(doc).resolve())
        assert took is not None, f"{doc} was not executed at build time"
        assert took < 60, f"{doc} took {took:.0f} s to execute (limit 60 s)"


# ---------------------------------------------------------------------------------------------
# Figures and printed output fit the page. The text column is about 680 px wide in a 1280-px window
# (790 px at most): a wider image is shrunk to it, its lettering with it, and a printed line longer
# than the output box is cut off at the right edge.

MAX_IMAGE_WIDTH = 1100     # px
MAX_PRINTED_LINE = 76      # characters of 14-px monospace that the output box shows whole at 1280 px


def test_every_image_is_at_most_1100_px_wide(built_book):
    wide = {}
    for png in sorted(built_book.rglob("*.png")):
        with Image.open(png) as im:
            if im.width > MAX_IMAGE_WIDTH:
                wide[png.name] = f"{png.relative_to(built_book)}, {im.width} px, shown on:"
    for html in sorted(built_book.rglob("*.html")):
        text = html.read_text()
        for name in wide:
            if name in text:
                wide[name] += f" {html.relative_to(built_book)}"
    assert not wide, (f"images wider than {MAX_IMAGE_WIDTH} px (make the figure narrower or give it more rows; "
                      f"one no page shows is left over from an earlier build): {sorted(wide.values())}")


@pytest.mark.parametrize("doc", demo_docs())
def test_demo_printed_lines_fit_the_page(built_book, doc):
    article = main_content(soup(built_book, doc))
    lines = [line for pre in article.select("div.cell_output pre") for line in pre.get_text().splitlines()]
    long = [line for line in lines if len(line) > MAX_PRINTED_LINE]
    assert not long, f"{doc} prints lines longer than {MAX_PRINTED_LINE} characters, cut off on the page: {long[:3]}"


# ---------------------------------------------------------------------------------------------
# What a demo's figures show, checked by running its code here (matplotlib's Agg backend).

def run_demo(doc, monkeypatch):
    """Run the code cells of a demo notebook in this process, except those that need a live kernel
    (widgets); return its namespace and the figures its plt.show() calls drew, in order."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figures = []

    def show(*args, **kwargs):
        drawn = [plt.figure(number) for number in plt.get_fignums()]
        plt.close("all")
        for fig in drawn:
            FigureCanvasAgg(fig).draw()     # closing detached it from pyplot's canvas
            figures.append(fig)

    monkeypatch.setattr(plt, "show", show)
    monkeypatch.chdir(demo_source(doc).parent)
    namespace = {"__name__": "__main__"}
    for cell in nbformat.read(demo_source(doc), as_version=4).cells:
        if cell.cell_type != "code" or "widgets.interact" in cell.source:
            continue
        exec(compile(cell.source, f"{doc} cell", "exec"), namespace)
        show()
    return namespace, figures


def axes_labelled(figures, ylabel):
    found = [ax for fig in figures for ax in fig.axes if ax.get_ylabel() == ylabel]
    assert len(found) == 1, f"expected one plot with the y label {ylabel!r}, found {len(found)}"
    return found[0]


def overlapping_texts(ax):
    """Pairs of visible labels of an axes (texts, annotations, contour labels) whose boxes overlap."""
    renderer = ax.figure.canvas.get_renderer()
    texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    return [(texts[i].get_text(), texts[j].get_text())
            for i in range(len(texts)) for j in range(i + 1, len(texts)) if boxes[i].overlaps(boxes[j])]


def lines_under_legend(ax):
    """Labels of the lines of an axes that are drawn (inside the axes) where its legend sits."""
    legend = ax.get_legend()
    if legend is None:
        return []
    renderer = ax.figure.canvas.get_renderer()
    box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
    hidden = []
    for line in ax.get_lines():
        points = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
        points = points[np.isfinite(points).all(axis=1)]
        if line.get_linestyle() not in ("None", "", " ") and len(points) > 1:   # the segments too
            points = np.concatenate([np.linspace(a, b, 40) for a, b in zip(points[:-1], points[1:])])
        drawn = points[[frame.contains(x, y) for x, y in points]]
        if len(drawn) and box.count_contains(drawn):
            hidden.append(line.get_label())
    return hidden


def test_chinchilla_text_and_frontier_plot_agree(monkeypatch):
    """GPT-3 and Gopher have many parameters for their tokens: with N across and D up, they sit below
    and to the right of the compute-optimal frontier (either fit), and the text says so."""
    ns, figures = run_demo("book/scaling/chinchilla", monkeypatch)
    ax = axes_labelled(figures, "training tokens D")
    assert ax.get_xlabel() == "parameters N" and ax.get_xscale() == ax.get_yscale() == "log"
    Cs = np.logspace(18, 27, 400)
    for fit in ({}, ns["refit"]):
        n_opt, d_opt = ns["optimal_split"](Cs, **fit)
        for name in ("GPT-3", "Gopher"):
            N, D = ns["famous"][name]
            frontier_D = np.exp(np.interp(np.log(N), np.log(n_opt), np.log(d_opt)))
            frontier_N = np.exp(np.interp(np.log(D), np.log(d_opt), np.log(n_opt)))
            assert D < frontier_D / 3 and N > 3 * frontier_N, f"{name} is not below-right of the frontier {fit}"
    text = " ".join(c.source for c in nbformat.read(demo_source("book/scaling/chinchilla"), 4).cells
                    if c.cell_type == "markdown")
    text = re.sub(r"\s+", " ", text)
    assert "GPT-3 and Gopher sit far below and to the right of the frontier" in text
    assert "above-left" not in text and "above and to the left" not in text


def test_chinchilla_frontier_labels_do_not_overlap(monkeypatch):
    _, figures = run_demo("book/scaling/chinchilla", monkeypatch)
    ax = axes_labelled(figures, "training tokens D")
    labels = [t.get_text() for t in ax.texts]
    assert {"C=1e+20", "C=1e+22", "C=1e+24", "L=2.3", "GPT-3", "Gopher", "Chinchilla"} <= set(labels), labels
    assert not overlapping_texts(ax)
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    outside = [t.get_text() for t in ax.texts if not frame.contains(*t.get_window_extent(renderer).get_points().mean(0))]
    assert not outside, f"labels outside the plot: {outside}"
    assert not lines_under_legend(ax)


def test_kv_cache_legends_hide_no_line(monkeypatch):
    _, figures = run_demo("book/efficiency/kv_cache", monkeypatch)
    ax = axes_labelled(figures, "KV cache for ONE sequence (GB)")
    assert len(ax.get_legend().get_texts()) == 4
    for fig in figures:
        for ax in fig.axes:
            assert not lines_under_legend(ax), f"the legend of {ax.get_title()!r} covers {lines_under_legend(ax)}"


def test_evaluation_demo_contamination_and_intervals(monkeypatch):
    """The leaked items gain far more than the rest; the other items and the held-out loss barely
    move; the whole-benchmark gain's paired interval excludes zero and is narrower than the unpaired
    one; every Wilson interval holds its accuracy; and the text says what the numbers show."""
    ns, figures = run_demo("book/evaluation/contamination", monkeypatch)
    leaked, before, after = ns["leaked"], ns["before"], ns["after"]
    assert 0.1 <= leaked.mean() <= 0.3
    assert after[leaked].mean() >= before[leaked].mean() + 0.25
    assert abs(after[~leaked].mean() - before[~leaked].mean()) < 0.06
    assert abs(ns["held_out_loss"](ns["contaminated"]) - ns["held_out_loss"](ns["model"])) < 0.05
    assert 0 < ns["gain_low"] <= ns["gain"] <= ns["gain_high"]
    assert ns["gain_high"] - ns["gain_low"] < 2 * ns["unpaired_gain"]
    for fmt, r in ns["right"].items():
        low, high = ns["intervals"][fmt]
        assert low <= r.mean() <= high, fmt
    assert max(r.mean() for r in ns["right"].values()) - min(r.mean() for r in ns["right"].values()) > 0.2
    axes = [ax for fig in figures for ax in fig.axes]
    assert any(ax.get_ylabel() == "accuracy (95% Wilson interval)" for ax in axes)
    assert not any(lines_under_legend(ax) for ax in axes)
    text = re.sub(r"\s+", " ", " ".join(c.source for c in nbformat.read(
        demo_source("book/evaluation/contamination"), 4).cells if c.cell_type == "markdown"))
    assert "the other items, and the loss on the held-out text, barely move" in text
