"""The playground page in a real browser: Playwright driving Debian's Chromium.

Needs ``apt-get install -y --no-install-recommends chromium`` and ``pip install playwright
pytest-playwright`` (never ``playwright install``). Without them the tests skip with the
reason; under ``CI=true`` they fail instead. Set ``GLASSNET_UPDATE_SCREENSHOT=1`` to rewrite
docs/playground.png (the README's screenshot).
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
    shot = tmp_path / "playground.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("GLASSNET_UPDATE_SCREENSHOT"):
        shutil.copyfile(shot, SCREENSHOT)
