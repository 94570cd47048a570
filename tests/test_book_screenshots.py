"""Open the built book in headless Chromium and take screenshots of a chapter, one of its demos and
the attention assignment; fail on tracebacks, error outputs, broken or empty images, or a blank page.

Chromium is Debian's `chromium` package (`apt-get install -y chromium`; .ci/run installs it). The
screenshots are kept under pytest's temporary directory, or in $COURSE_SCREENSHOT_DIR when that is
set, so that a person can look at them."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image, ImageStat

# Full tier: kernels through the real grader, or the built book (see tests/conftest.py).
pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PAGES = [
    "book/scaling/index.html",                  # a chapter page
    "book/scaling/chinchilla.html",             # its demo, with executed figures
    "assignments/attention/attention.html",     # an assignment page, as released
]


def looks_empty(image, min_stddev=4.0):
    """True when an image is essentially one colour (a blank plot or a failed render)."""
    gray = image.convert("L")
    if ImageStat.Stat(gray).stddev[0] < min_stddev:
        return True
    # nearly all pixels equal to the most common value (e.g. white with a few specks)
    histogram = gray.histogram()
    return max(histogram) / sum(histogram) > 0.995


@pytest.fixture(scope="module")
def shot_dir(tmp_path_factory):
    wanted = os.environ.get("COURSE_SCREENSHOT_DIR")
    if wanted:
        Path(wanted).mkdir(parents=True, exist_ok=True)
        return Path(wanted)
    return tmp_path_factory.mktemp("screenshots")


def screenshot(url, out_png):
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out_png}",
             "--window-size=1280,2000", url],
            capture_output=True, text=True, timeout=120,
        )
    assert out_png.exists(), f"chromium wrote no screenshot of {url}:\n{proc.stderr[-2000:]}"


@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_traceback_or_broken_image(built_book, page):
    html_path = built_book / page
    assert html_path.exists(), f"{page} was not built"
    doc = BeautifulSoup(html_path.read_text(), "html.parser")
    article = doc.find("article") or doc.find("main")
    text = article.get_text(" ")
    assert "Traceback (most recent call last)" not in text and "Traceback" not in text, f"{page} shows a traceback"
    for cell in article.select("div.output"):
        classes = set(cell.get("class", []))
        assert not classes & {"traceback", "error", "stderr"}, f"{page} shows an {sorted(classes)} output cell"
    for img in doc.find_all("img"):
        src = img.get("src", "")
        if not src or src.startswith(("http:", "https:", "data:")):
            continue
        target = (html_path.parent / src.split("#")[0]).resolve()
        assert target.exists(), f"{page}: broken image {src}"
        if target.suffix.lower() == ".svg":
            assert target.stat().st_size > 0, f"{page}: empty image {src}"
            continue
        with Image.open(target) as im:
            assert im.width > 0 and im.height > 0, f"{page}: zero-size image {src}"
            if "_images" in target.parts:          # a figure drawn by a notebook
                assert not looks_empty(im), f"{page}: figure {src} is essentially one colour"


@pytest.mark.parametrize("page", PAGES)
def test_screenshot_in_headless_chromium(built_book, shot_dir, page):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); no screenshots taken")
    out = shot_dir / (page.replace("/", "__").removesuffix(".html") + ".png")
    out.unlink(missing_ok=True)
    screenshot((built_book / page).resolve().as_uri(), out)
    with Image.open(out) as im:
        assert im.size == (1280, 2000), f"unexpected screenshot size {im.size}"
        assert not looks_empty(im), f"the screenshot of {page} is blank"
        # the page's text column is drawn: the left half must not be a single colour either
        assert not looks_empty(im.crop((0, 0, 640, 2000))), f"the screenshot of {page} shows no content"
    print(f"screenshot of {page}: {out}")
