"""Worksheets: the attention kind (answers equal the engine's numbers), blanks as one box
per cell with a shape label in text and HTML, captions that never wrap."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from glassnet.nn import functional as F


def _softmax_rows(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("seed", "size"), [(0, None), (3, None), (1, (4, 3, 2)), (2, (2, 5, 1))])
def test_attention_answers_equal_the_engine(seed, size):
    sheet = ex.worksheet("attention", seed=seed, size=size)
    L, E, d = size or (3, 2, 4)
    g, ans = sheet.givens, sheet.answers
    X, W_Q, W_K, W_V = g["X"], g["W_Q"], g["W_K"], g["W_V"]
    assert X.shape == (L, E) and W_Q.shape == (E, d)
    assert all(float(v).is_integer() for m in g.values() for v in np.ravel(m))
    assert len({tuple(r) for r in X}) == L and X.any(axis=1).all()  # distinct, no all-zero token
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V  # by numpy, independently
    S = Q @ K.T
    P = _softmax_rows(S / np.sqrt(d))
    expected = {"Q": Q, "K": K, "V": V, "S = Q·Kᵀ": S, f"Z = S/√{d}": S / np.sqrt(d),
                "P = softmax(Z)": P, "A = P·V": P @ V}
    assert list(ans) == list(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(ans[name], value, rtol=0, atol=1e-12)
    sdpa = F.scaled_dot_product_attention(*(gn.tensor(m, dtype=gn.float64) for m in (Q, K, V))).numpy()
    np.testing.assert_allclose(ans["A = P·V"], sdpa, rtol=0, atol=1e-12)
    worked = sheet.answer_key.detail
    np.testing.assert_allclose(worked.P, ans["P = softmax(Z)"], rtol=0, atol=1e-12)
    assert worked.max_error <= 1e-12
    key = sheet.answer_key.to_text()
    assert "Worked solution" in key and "Softmax of row 0, by hand" in key


def test_blanks_are_one_box_per_cell_with_a_shape_label():
    sheet = ex.worksheet("attention", seed=0)
    text = sheet.to_text()
    assert "A = P·V (3×4)" in text and "S = Q·Kᵀ (3×3)" in text
    assert text.count("┌───────┬───────┬───────┬───────┐") == 4  # Q, K, V and A: 4 columns each
    page = sheet.to_html()
    HTMLParser().feed(page)
    blanks = re.findall(r'<div class="gn-blank-label">([^<]*)</div><table class="gn-blank">(.*?)</table>',
                        page)
    assert [c for c, _ in blanks][-1] == "A = P·V (3×4)"
    for caption, body in blanks:
        rows, cols = map(int, re.search(r"\((\d+)×(\d+)\)", caption).groups())
        assert body.count("<tr>") == rows and body.count("<td></td>") == rows * cols
    assert ".gn-blank td{border:1px solid" in page and "gn-blank-label{white-space:nowrap" in page


def test_new_value_captions_do_not_wrap_in_html():
    page = ex.worksheet("backprop", seed=7).to_html()
    assert '<div class="gn-blank-label">W1′ (new) (3×2)</div>' in page and "white-space:nowrap" in page
    key = ex.worksheet("backprop", seed=7).answer_key.to_html(full_page=True)
    assert "white-space:nowrap" in key


def test_attention_worksheet_refuses_a_wrong_size():
    with pytest.raises(gn.GlassnetValueError, match=r"size needs 3 positive numbers like \(3, 2, 4\)"):
        ex.worksheet("attention", size=(3, 2))
