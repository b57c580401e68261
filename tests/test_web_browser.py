"""The playground page in a real browser: Playwright driving Debian's Chromium.

Needs ``apt-get install -y --no-install-recommends chromium`` and ``pip install playwright
pytest-playwright`` (never ``playwright install``). Without them the tests skip with the
reason; under ``CI=true`` they fail instead. Set ``GLASSNET_UPDATE_SCREENSHOT=1`` to rewrite
docs/playground.png (the picture in the README and the docs: the first screen at 1280×800
after training on xor).
"""

import json
import os
import shutil
import time
import urllib.parse
from pathlib import Path

import numpy as np
import pytest

from glassnet import web
from playground_server import direct, running_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "playground.png"


def _missing():
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright pytest-playwright)"
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)"
    return None


@pytest.fixture(scope="module")
def chromium_and_server():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with running_server() as server, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium, server
        chromium.close()


@pytest.fixture
def pg(chromium_and_server):
    chromium, server = chromium_and_server
    page = chromium.new_page(viewport={"width": 1300, "height": 1000})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = []  # messages the page logged as errors (a refused request logs one)
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.server = server
    yield page
    page.close()
    assert errors == []


def _wait(page, predicate, timeout=30.0):
    """Poll ``predicate()`` (Python) until true; the page's CSP forbids evaluated strings."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the page"
        page.wait_for_timeout(20)


def _open(page, doc=None):
    hash_ = "" if doc is None else "#" + urllib.parse.quote(json.dumps({"state": doc, "dataset": "xor"}))
    page.goto(page.server.url + hash_)
    page.wait_for_selector("body[data-ready=true]")


def _value(page, key):
    return float(page.get_attribute(f'td[data-cell="{key}"]', "data-value"))


def _matrix(page, key, rows, cols):
    return np.array([[_value(page, f"{key}-{r}-{c}") for c in range(cols)] for r in range(rows)])


def test_editing_a_weight_recomputes_everything(pg):
    page = pg
    _open(pg)
    doc = web.default_state()
    assert _value(page, "L0-Z-1-0") == pytest.approx(-0.616)
    page.fill('input[data-cell="L0-W-1-0"]', "0.7")  # W1[1, 0]: -0.56 → 0.7
    _wait(page, lambda: _value(page, "L0-Z-1-0") > 0)
    doc["layers"][0]["W"][1][0] = 0.7
    want = direct(doc)
    assert _value(page, "L0-Z-1-0") == pytest.approx(0.7 * 0.5 + 0.36 * 0.3 + 0.48 * 0.2 - 0.54)
    np.testing.assert_allclose(_matrix(page, "L1-Z", 2, 1), want["Z"][1].T, rtol=1e-12)
    np.testing.assert_allclose(_matrix(page, "P", 2, 1), want["probs"].T, rtol=1e-12)
    np.testing.assert_allclose(_matrix(page, "L0-dW", 4, 3), want["dW"][0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_matrix(page, "L1-db", 2, 1), want["db"][1][:, None], rtol=1e-12)
    assert float(page.get_attribute("#loss-value", "data-value")) == pytest.approx(want["loss"], rel=1e-12)
    assert float(page.get_attribute("#status", "data-round-trip-ms")) < 500  # typically ~5-20 ms
    page.fill('input[data-cell="L0-W-0-0"]', "abc")  # a bad number: message by the cell, nothing sent
    assert "not a number" in page.text_content('td[data-cell="L0-W-0-0"] .msg')
    page.reload()  # the state lives in the URL
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value('input[data-cell="L0-W-1-0"]') == "0.7"
    page.click("#step")
    page.wait_for_selector('td[data-cell="L0-W-1-0"] .old:not(:empty)')
    assert _value(page, "L0-W-1-0") == pytest.approx(0.7 - 0.1 * want["dW"][0][1, 0], rel=1e-12)


def test_hover_shows_the_dot_product(pg):
    page = pg
    _open(pg)
    page.hover('td[data-cell="L0-Z-1-0"]')
    text = page.text_content("#hover-info")
    assert "(-0.56)·0.5 + 0.36·0.3 + 0.48·0.2 + (-0.54)" in text
    assert "(-0.28) + 0.108 + 0.096 + (-0.54) = -0.616" in text
    lit = page.eval_on_selector_all("td.hl", "tds => tds.map(td => td.dataset.cell)")
    assert sorted(lit) == sorted(["L0-W-1-0", "L0-W-1-1", "L0-W-1-2", "L0-x-0-0", "L0-x-1-0",
                                  "L0-x-2-0", "L0-b-1-0", "L0-Z-1-0"])
    page.click("#trace-panel summary")  # gn.explain.trace of the same pass, op by op
    page.wait_for_selector("#trace-list li.backward")
    assert "forward linearop in 0 (Linear)" in page.text_content("#trace-list li:first-child")


def test_training_on_xor_lowers_the_loss_and_reaches_95_percent(pg, tmp_path):
    page = pg
    doc = web.init_state([2, 8, 8, 2], ["tanh", "tanh", "none"], seed=0, lr=0.4)
    doc["target"] = [1]  # x = (0.5, 0.3): same signs, class 1 of xor
    _open(page, doc)
    page.fill("#chunk", "25")
    page.click("#train-button")
    _wait(page, lambda: int(page.text_content("#train-steps")) >= 200)
    page.click("#pause-button")
    page.wait_for_selector("#train-button:not([disabled])")
    curve = page.locator("#loss-curve")
    first, last = float(curve.get_attribute("data-first-loss")), float(curve.get_attribute("data-last-loss"))
    assert last < 0.3 * first
    points = page.get_attribute("#loss-curve polyline", "points").split()
    assert float(points[-1].split(",")[1]) > float(points[0].split(",")[1])  # drawn lower
    assert float(page.get_attribute("#train-accuracy", "data-value")) > 0.95
    page.hover('td[data-cell="L0-Z-3-0"]')
    page.set_viewport_size({"width": 1280, "height": 800})  # the docs' picture: the first screen
    page.evaluate("window.scrollTo(0, 0)")
    shot = tmp_path / "playground.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("GLASSNET_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)


def _hover_number(page, selector="#hover-info"):
    """The number after the last '=' of an explanation."""
    return float(page.text_content(selector).rsplit("=", 1)[1].split()[0])


def test_the_hover_explanation_follows_edits_steps_and_resets(pg):
    page = pg
    _open(page)
    page.hover('td[data-cell="L0-Z-1-0"]')
    assert page.text_content("#hover-info").endswith("= -0.616")
    page.fill('input[data-cell="L0-W-1-0"]', "0.7")  # z[1] = 0.7·0.5 + 0.108 + 0.096 − 0.54 = 0.014
    _wait(page, lambda: _value(page, "L0-Z-1-0") > 0)
    text = page.text_content("#hover-info")
    assert "0.7·0.5 + 0.36·0.3 + 0.48·0.2 + (-0.54)" in text and text.endswith("= 0.014"), text
    page.click("#step")
    page.wait_for_selector('td[data-cell="L0-W-1-0"] .old:not(:empty)')
    z, w = _value(page, "L0-Z-1-0"), _value(page, "L0-W-1-0")
    assert w != 0.7 and _hover_number(page) == pytest.approx(z, abs=5e-5)
    words = f"z[1,0] = row 1 of W · column 0 of x + b[1] = {w:.4g}·0.5"
    assert page.text_content("#hover-info").startswith(words)
    page.hover('td[data-cell="L1-Z-1-0"]')  # a cell of layer 2, which the next network lacks
    page.fill("#sizes", "3-2")
    page.press("#sizes", "Enter")
    _wait(page, lambda: page.query_selector('td[data-cell="L1-Z-1-0"]') is None)
    _wait(page, lambda: page.text_content("#hover-info").startswith("Hover a cell"))
    assert page.query_selector_all("td.hl") == []


def _white_fraction(page):
    rgba = page.eval_on_selector("#boundary", "c => Array.from(c.getContext('2d').getImageData("
                                 "0, 0, c.width, c.height).data)")
    pixels = np.array(rgba).reshape(-1, 4)[:, :3]
    return float((pixels == 255).all(axis=1).mean())


def test_reset_clears_the_training_panel(pg):
    page = pg
    doc = web.init_state([2, 6, 2], ["tanh", "none"], seed=0, lr=0.5)
    _open(page, doc)
    untrained = _white_fraction(page)  # only the points are drawn
    page.fill("#chunk", "25")
    page.click("#train-button")
    _wait(page, lambda: int(page.text_content("#train-steps")) >= 50)
    page.click("#pause-button")
    page.wait_for_selector("#train-button:not([disabled])")
    assert page.text_content("#train-loss") != "–" and page.get_attribute("#train-accuracy", "data-value")
    assert _white_fraction(page) < 0.5 * untrained  # the map is painted
    page.click("#reset")
    _wait(page, lambda: page.text_content("#train-steps") == "0")
    _wait(page, lambda: _value(page, "L0-W-0-0") == doc["layers"][0]["W"][0][0])  # fresh seed-0 weights
    assert page.text_content("#train-loss") == "–" and page.text_content("#train-accuracy") == "–"
    assert page.get_attribute("#train-accuracy", "data-value") is None
    assert page.query_selector("#loss-curve polyline") is None
    assert page.get_attribute("#loss-curve", "data-last-loss") is None
    assert _white_fraction(page) == pytest.approx(untrained)  # the points again, no map
    page.click("#train-button")
    _wait(page, lambda: int(page.text_content("#train-steps")) >= 25)
    page.click("#reset")  # while training: the chunk under way is dropped when it comes back
    _wait(page, lambda: page.text_content("#train-steps") == "0")
    page.wait_for_timeout(500)
    assert page.text_content("#train-steps") == "0" and page.text_content("#train-loss") == "–"
    assert page.query_selector("#train-button[disabled]") is None
    assert page.query_selector("#pause-button[disabled]") is not None


@pytest.mark.parametrize("typed", ["-5", "abc", "", "0", "1e300"])
def test_an_invalid_learning_rate_is_named_and_nothing_trains(pg, typed):
    page = pg
    doc = web.init_state([2, 4, 2], ["tanh", "none"], seed=0, lr=0.1)
    _open(page, doc)
    before = _matrix(page, "L0-W", 4, 2)
    page.fill("#lr", typed)
    page.press("#lr", "Tab")
    message = page.text_content("#lr-msg")
    assert f"learning rate: “{typed}” does not fit" in message and "0 < lr ≤ 10, e.g. 0.1" in message
    assert page.get_attribute("#lr", "aria-invalid") == "true" and page.is_visible("#lr-msg")
    page.click("#step")
    page.click("#train-button")
    page.fill("#seed", "5")
    page.click("#reset")
    page.wait_for_timeout(300)
    np.testing.assert_array_equal(_matrix(page, "L0-W", 4, 2), before)  # no step, no new network
    assert page.text_content("#train-steps") == "0" and page.query_selector("#train-button[disabled]") is None
    assert page.input_value("#lr") == typed  # left as typed, not replaced
    assert "learning rate" in page.text_content("#status")
    page.fill("#lr", "0.5")
    page.press("#lr", "Tab")
    assert page.text_content("#lr-msg") == "" and not page.is_visible("#lr-msg")
    page.fill("#seed", "0")
    grads = direct(doc)["dW"][0]
    page.click("#step")
    page.wait_for_selector('td[data-cell="L0-W-0-0"] .old:not(:empty)')
    np.testing.assert_allclose(_matrix(page, "L0-W", 4, 2), before - 0.5 * grads, rtol=1e-12)


def _overflow(page):
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_a_390_pixel_screen_scrolls_equations_in_their_box_not_the_page(chromium_and_server):
    chromium, server = chromium_and_server
    page = chromium.new_page(viewport={"width": 390, "height": 844})
    page.goto(server.url)
    page.wait_for_selector("body[data-ready=true]")
    width, inner = _overflow(page)
    assert width <= inner == 390
    rows = page.query_selector_all(".layer .row, #att-matrices .row")
    assert len(rows) == 4 + 3
    for row in rows:  # each equation on one line, scrollable inside its own box
        spans = row.eval_on_selector_all(":scope > .matrix-box", "boxes => boxes.map(b => "
                                         "[b.getBoundingClientRect().top, b.getBoundingClientRect().bottom])")
        assert max(top for top, _ in spans) < min(bottom for _, bottom in spans), spans  # side by side
        assert row.evaluate("r => getComputedStyle(r).overflowX") == "auto"
    first = rows[0]
    assert first.evaluate("r => r.scrollWidth > r.clientWidth")
    first.evaluate("r => { r.scrollLeft = 10000; }")
    assert first.evaluate("r => r.scrollLeft") > 0
    page.hover('td[data-cell="L0-Z-1-0"]')  # long texts wrap
    page.hover('td[data-cell="A-O-2-1"]')
    page.click("#trace-panel summary")
    page.wait_for_selector("#trace-list li.backward")
    page.fill("#lr", "-5")
    page.press("#lr", "Tab")
    width, inner = _overflow(page)
    assert width <= inner
    page.close()


def _attention(page, key, rows, cols):
    return np.array([[float(page.get_attribute(f'td[data-cell="{key}-{r}-{c}"]', "data-value"))
                      for c in range(cols)] for r in range(rows)])


def _heat(page, key):
    """The red channel of a weight cell's background (255 for weight 0, 37 for weight 1)."""
    colour = page.eval_on_selector(f'td[data-cell="{key}"]', "td => getComputedStyle(td).backgroundColor")
    return int(colour.split("(")[1].split(",")[0])


def test_the_attention_panel_computes_with_the_engine(pg):
    page = pg
    _open(page)
    doc = web.default_attention()
    want = web.attention_compute(doc)
    np.testing.assert_allclose(_attention(page, "A-S", 3, 3), want["scaled"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(_attention(page, "A-P", 3, 3), want["weights"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(_attention(page, "A-O", 3, 2), want["output"], rtol=0, atol=1e-12)
    for i, row in enumerate(np.array(want["weights"])):  # heavier weight, deeper colour
        reds = [_heat(page, f"A-P-{i}-{j}") for j in range(3)]
        assert reds[int(np.argmax(row))] < reds[int(np.argmin(row))]
    page.hover('td[data-cell="A-S-0-2"]')
    assert page.text_content("#att-info") == ("S[0,2] = row 0 of Q · row 2 of K = 1·1.5 + 0.5·1.5 = "
                                              "1.5 + 0.75 = 2.25; Z[0,2] = S[0,2]/√2 = 2.25 / 1.4142 = 1.591")
    heat_before = [_heat(page, f"A-P-0-{j}") for j in range(3)]
    page.fill('input[data-cell="A-X-0-0"]', "-2")  # token 0 now points the other way
    doc["X"][0][0] = -2.0
    want = web.attention_compute(doc)
    _wait(page, lambda: _attention(page, "A-S", 1, 3)[0, 0] != pytest.approx(0.7071, abs=1e-3))
    np.testing.assert_allclose(_attention(page, "A-S", 3, 3), want["scaled"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(_attention(page, "A-P", 3, 3), want["weights"], rtol=0, atol=1e-12)
    assert [_heat(page, f"A-P-0-{j}") for j in range(3)] != heat_before
    text = page.text_content("#att-info")  # the hovered score, redone from the new numbers
    assert text.startswith("S[0,2] = row 0 of Q · row 2 of K = (-2)·1.5 + (-1)·1.5 = (-3) + (-1.5) = -4.5;")
    assert _hover_number(page, "#att-info") == pytest.approx(want["scaled"][0][2], abs=5e-5)
    page.hover('td[data-cell="A-O-1-1"]')
    assert _hover_number(page, "#att-info") == pytest.approx(want["output"][1][1], abs=5e-5)
    page.check("#att-causal")  # query 0 sees only key 0: weight 1 on itself
    _wait(page, lambda: page.get_attribute('td[data-cell="A-S-0-1"]', "data-value") == "-Infinity")
    doc["causal"] = True
    want = web.attention_compute(doc)
    np.testing.assert_allclose(_attention(page, "A-P", 3, 3), want["weights"], rtol=0, atol=1e-12)
    assert _attention(page, "A-P", 1, 3).tolist() == [[1.0, 0.0, 0.0]]
    assert page.text_content('td[data-cell="A-S-0-1"]') == "−∞"
    page.hover('td[data-cell="A-S-0-1"]')
    assert "the causal mask adds −∞" in page.text_content("#att-info")
    page.click("#att-add-token")
    page.wait_for_selector('td[data-cell="A-P-3-3"]')
    page.reload()  # the head lives in the URL with the network
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value('input[data-cell="A-X-0-0"]') == "-2" and page.is_checked("#att-causal")
    assert page.query_selector('td[data-cell="A-P-3-3"]') is not None
    assert page.console_errors == []
