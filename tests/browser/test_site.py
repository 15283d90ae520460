"""The course website: built from the committed notebooks, then every page opened in headless Chromium, in English
and in Korean (the folder ko/).

Each page must load every image, request nothing from outside the site (it must work offline), have
internal links that resolve, typeset its maths, and show no error marker and no raw widget placeholder.
A Korean page must be in Korean, with its Hangul drawn by a font. A picture of each page lands in
test-artifacts/site/<page>.png.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from pathlib import Path
from urllib.parse import urldefrag

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CNNCOURSE_ARTIFACTS", ROOT / "test-artifacts")) / "site"
LESSONS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = [f"{folder}{name}" for folder in ("", "ko/") for name in ["index", *LESSONS]]
ERROR_MARKERS = ["Traceback (most recent call last)", "VBox(children=", "HBox(children=", "Loading widget"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The site built into a temporary folder and served on 127.0.0.1; yields its base URL."""
    pytest.importorskip("sphinx", reason="The site test needs Sphinx: pip install -e '.[test]'")
    from cnncourse.site import build

    folder = build(tmp_path_factory.mktemp("site") / "html", strict=True).parent
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # no request log in the test output
        pass


@pytest.fixture(scope="module")
def page(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


def open_page(page, url: str) -> tuple[list[str], list[str]]:
    """Go to ``url``; return (requests that failed, requests that left the site)."""
    failed, outside = [], []
    base = url.rsplit("/", 1)[0] + "/"
    local = lambda address: address.startswith((base, "data:", "about:blank"))  # MathJax probes fonts via about:blank
    on_request = lambda request: outside.append(request.url) if not local(request.url) else None
    on_failed = lambda request: failed.append(f"{request.url} ({request.failure})") if request.url != "about:blank" else None
    on_response = lambda response: failed.append(f"{response.url} ({response.status})") if response.status >= 400 else None
    page.on("request", on_request)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until="networkidle")
        page.evaluate("Array.from(document.images).forEach(image => image.loading = 'eager')")
        page.wait_for_function("Array.from(document.images).every(image => image.complete)", timeout=60_000)
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("requestfailed", on_failed)
        page.remove_listener("response", on_response)
    return failed, outside


@pytest.mark.parametrize("name", PAGES)
def test_page_is_complete_offline(page, site, name):
    failed, outside = open_page(page, f"{site}{name}.html")
    assert not failed, f"{name}: requests failed: {failed[:5]}"
    assert not outside, f"{name}: the page asks for files outside the site (offline it would break): {outside[:5]}"

    broken = page.evaluate("Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)")
    assert not broken, f"{name}: images that did not load: {broken[:5]}"
    if not name.endswith("index"):
        assert page.locator("div.cell_output img").count() > 0, f"{name}: the lesson shows no figure"

    links = {urldefrag(href)[0] for href in page.evaluate("Array.from(document.links).map(a => a.href)")
             if href.startswith(site)}
    for link in sorted(links):
        assert page.request.get(link).ok, f"{name}: the link {link} does not resolve"
    missing_anchors = page.evaluate("""Array.from(document.querySelectorAll('a[href^="#"]'))
        .map(a => decodeURIComponent(a.getAttribute('href').slice(1)))
        .filter(id => id && !document.getElementById(id))""")
    assert not missing_anchors, f"{name}: links to anchors that do not exist: {missing_anchors[:5]}"

    formulas = page.locator(".math.notranslate").count()  # Sphinx's formulas (MathJax adds inner ".math" spans)
    if formulas:  # MathJax 2 turns each formula into a math/tex script and its rendering
        page.wait_for_function(f"document.querySelectorAll('script[type^=\"math/tex\"]').length >= {formulas}"
                               " && !document.querySelector('.MathJax_Processing')", timeout=30_000)
        assert page.locator(".MathJax, .MathJax_Display").count() >= formulas, f"{name}: maths not typeset"
        assert page.locator(".MathJax_Error, merror").count() == 0, f"{name}: MathJax could not typeset a formula"

    text = page.inner_text("body")
    assert page.locator(".system-message").count() == 0, f"{name}: the page shows a build error message"
    if name.endswith("index"):  # the course map leads to the lessons
        assert page.locator('a[href="04_resnet_degradation.html"]').count() > 0, "the course map has no links"
    for marker in ERROR_MARKERS:
        assert marker not in text, f"{name}: the page shows {marker!r}"
    if name.startswith(("01", "06")):  # the key-term tables: Korean text must be on the page
        assert "정규화" in text or "오토인코더" in text
    assert page.locator("a.language-switch").count() == 1, f"{name}: no link to the page in the other language"
    if name.startswith("ko/"):
        assert len(re.findall("[\uac00-\ud7a3]", text)) > 200, f"{name}: the Korean page is not in Korean"
        assert page.evaluate(HANGUL_DRAWN), f"{name}: Hangul is drawn as empty boxes: no font has it"

    hidden = page.evaluate(HIDDEN_CODE)
    assert not hidden, f"{name}: code or output lines run past the column and are hidden: {hidden[:3]}"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name.replace('/', '-')}.png"), full_page=True)


# whether the page's font draws a Hangul syllable differently from a code point that no font has (an empty box)
HANGUL_DRAWN = """(() => {
    const canvas = document.createElement('canvas'); canvas.width = canvas.height = 48;
    const context = canvas.getContext('2d');
    context.font = '32px ' + getComputedStyle(document.body).fontFamily;
    const draw = character => { context.clearRect(0, 0, 48, 48); context.fillText(character, 4, 36);
                                return context.getImageData(0, 0, 48, 48).data.join(); };
    return draw('한') !== draw(String.fromCodePoint(0x378));
})()"""


# the start of every code or output block whose lines run past its box (what a reader would have to scroll to)
HIDDEN_CODE = """Array.from(document.querySelectorAll('div.cell div.highlight pre, div.cell_output pre'))
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1).map(pre => pre.innerText.slice(0, 80))"""


@pytest.mark.parametrize("name", ["04_resnet_degradation", "05_unet_cell_segmentation"])
def test_a_lesson_fits_a_phone_screen(browser, site, name):
    phone = browser.new_page(viewport={"width": 400, "height": 800})
    try:
        open_page(phone, f"{site}{name}.html")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{name}: at 400 px the page is {width} px wide and scrolls sideways"
        hidden = phone.evaluate(HIDDEN_CODE)
        assert not hidden, f"{name}: at 400 px, code lines are hidden: {hidden[:3]}"
    finally:
        phone.close()


@pytest.mark.parametrize("folder", ["", "ko/"])
def test_lesson_pages_offer_download_and_colab(page, site, folder):
    open_page(page, f"{site}{folder}04_resnet_degradation.html")
    html = page.content()
    assert "_sources/04_resnet_degradation.ipynb" in html, "the page should offer its notebook for download"
    assert page.locator('a[href$="_sources/04_resnet_degradation.ipynb"][download]').count() > 0, \
        "the notebook link should download the file, not show its JSON"
    text = page.inner_text("article")
    assert "NBVAL_CHECK_OUTPUT" not in text and "find_spec(" not in text, "the page shows test machinery"
    assert (f"colab.research.google.com/github/cnncourse/cnncourse/blob/main/notebooks/{folder}04_resnet_degradation"
            ".ipynb" in html), "the page should open its notebook, in its language, in Colab"
