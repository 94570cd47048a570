"""Open the built book in headless Chromium and take screenshots of a chapter, one of its demos and
the attention assignment; fail on tracebacks, error outputs, broken or empty images, or a blank page.

Chromium is Debian's `chromium` package (`apt-get install -y chromium`; .ci/run installs it). The
screenshots are kept under pytest's temporary directory, or in $COURSE_SCREENSHOT_DIR when that is
set, so that a person can look at them. Pages with tables are also opened in a phone-sized window,
390 px wide, where a table must fit the text column rather than run off the screen."""
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
PHONE = (390, 2400)     # a phone's width in CSS pixels; tall enough to show the syllabus table
PAGES_WITH_TABLES = [
    "book/syllabus.html",                       # the weekly schedule
    "book/architecture/parallelism.html",
    "book/efficiency/kv_cache.html",
]
# Injected into a copy of a page: once the window has its final size (headless Chromium lays a page
# out 500 px wide first, then resizes it for the screenshot), a bar across the top turns green when
# every table of the article ends inside the text column and the page does not scroll sideways, red
# otherwise, and names the widths it measured.
FIT_PROBE = """<script>
function measureFit() {
  let probe = document.getElementById('fit-probe');
  if (!probe) { probe = document.createElement('div'); probe.id = 'fit-probe'; document.body.appendChild(probe); }
  const article = document.querySelector('article') || document.querySelector('main');
  const paragraphs = [...article.querySelectorAll('p')].filter(p => !p.closest('table'));
  const column = Math.max(...paragraphs.map(p => p.getBoundingClientRect().right));
  const tables = [...article.querySelectorAll('table')].map(t => Math.ceil(t.getBoundingClientRect().right));
  const fits = tables.length > 0 && column <= window.innerWidth && tables.every(right => right <= column + 1)
               && document.documentElement.scrollWidth <= window.innerWidth;
  probe.style.cssText = 'position:fixed;top:0;left:0;width:100%;height:48px;z-index:99999;'
                        + 'font:14px sans-serif;color:black;background:' + (fits ? '#00ff00' : '#ff0000');
  probe.textContent = 'window ' + window.innerWidth + ' px; text column ends at ' + Math.round(column)
                      + ' px; tables end at ' + tables.join(', ') + ' px';
}
window.addEventListener('load', measureFit);
window.addEventListener('resize', measureFit);
</script>"""


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


def screenshot(url, out_png, size=(1280, 2000)):
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={out_png}",
             f"--window-size={size[0]},{size[1]}", url],
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


@pytest.mark.parametrize("page", PAGES_WITH_TABLES)
def test_tables_fit_a_phone_screen(built_book, shot_dir, page):
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium); no screenshots taken")
    html_path = built_book / page
    assert "<table" in html_path.read_text(), f"{page} has no table any more: update PAGES_WITH_TABLES"
    probe = html_path.with_name(f"_fit_probe_{html_path.name}")       # beside the page: same relative links
    probe.write_text(html_path.read_text().replace("</body>", FIT_PROBE + "</body>"))
    out = shot_dir / (page.replace("/", "__").removesuffix(".html") + "__phone.png")
    out.unlink(missing_ok=True)
    try:
        screenshot(probe.resolve().as_uri(), out, size=PHONE)
    finally:
        probe.unlink()
    with Image.open(out) as im:
        assert im.size == PHONE, f"unexpected screenshot size {im.size}"
        r, g, b = im.convert("RGB").getpixel((2, 2))
    assert not (r > 200 and g < 60), f"a table of {page} is wider than a {PHONE[0]}-px phone screen (see {out})"
    assert g > 200 and r < 60, f"the width probe did not run on {page} (pixel {(r, g, b)}; see {out})"
    print(f"phone screenshot of {page}: {out}")
