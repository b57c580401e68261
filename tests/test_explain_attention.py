"""explain.attention: the by-hand numbers equal the engine's (float64, 1e-12) for layers
and bare tensors, every step's arithmetic holds, and the rendering is a golden snapshot
(regenerate with ``GLASSNET_UPDATE_GOLDEN=1``)."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from attention_modules import golden_attention_layer
from glassnet import nn
from glassnet._errors import GlassnetTypeError
from golden_text import check_golden


def _x(shape, seed=0):
    return np.round(np.random.default_rng(seed).standard_normal(shape), 2)


@pytest.mark.parametrize("heads", [1, 2, 3])
@pytest.mark.parametrize("masks", [{}, {"causal": True},
                                   {"key_padding_mask": np.array([False, True, False, False])},
                                   {"attn_mask": _x((4, 4), 3), "causal": True}],
                         ids=["none", "causal", "padding", "float+causal"])
def test_by_hand_equals_the_layer(heads, masks):
    gn.manual_seed(heads)
    layer = nn.MultiheadAttention(6, heads)  # float32: the explanation runs a float64 copy
    x = _x((4, 6))
    e = ex.attention(layer, x, **masks, head=heads - 1, cell=(3, 1))
    assert e.max_error <= 1e-12
    twin = nn.MultiheadAttention(6, heads).double()
    twin.load_state_dict({k: v.numpy().astype(np.float64) for k, v in layer.state_dict().items()})
    mask = None
    if masks:
        mask = np.zeros((4, 4))
        if masks.get("causal"):
            mask[np.triu(np.ones((4, 4), bool), 1)] = -np.inf
        if "attn_mask" in masks:
            mask += masks["attn_mask"]
    with gn.no_grad():
        y = twin(gn.tensor(x), gn.tensor(x), gn.tensor(x), attn_mask=mask,
                 key_padding_mask=masks.get("key_padding_mask"))[0].numpy()
    np.testing.assert_allclose(e.Y, y, rtol=0, atol=1e-12)


def test_each_step_is_the_arithmetic_it_says():
    gn.manual_seed(0)
    e = ex.attention(nn.MultiheadAttention(4, 2), _x((3, 4)), causal=True, head=1, cell=(2, 0))
    c = slice(2, 4)
    q, k, v = e.Q[:, c], e.K[:, c], e.V[:, c]
    assert e.scores.cells[2, 0] == pytest.approx(float(q[2] @ k[0]), abs=1e-15)
    np.testing.assert_allclose(e.Z, q @ k.T / np.sqrt(2) + np.triu(np.full((3, 3), -np.inf), 1),
                               atol=1e-15)
    np.testing.assert_allclose(e.exps[2], np.exp(e.Z[2] - e.Z[2].max()), rtol=1e-15)
    np.testing.assert_allclose(e.P.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(e.weighted.cells, e.P @ v, atol=1e-15)
    np.testing.assert_allclose(e.heads[0][5].cells, e.concat[:, :2])
    assert "S[2,0] =" in e.to_text() and "Softmax of row 2" in e.to_text()


def test_cross_attention_with_other_key_and_value_sizes():
    gn.manual_seed(1)
    layer = nn.MultiheadAttention(4, 2, kdim=3, vdim=5).double()
    e = ex.attention(layer, _x((2, 4)), key=_x((3, 3), 1), value=_x((3, 5), 2))
    assert e.max_error <= 1e-12
    assert e.S.shape == (2, 3) and e.heads[1][5].cells.shape == (2, 2)  # vdim 5 → E = 4


def test_bare_tensors_against_scaled_dot_product_attention():
    q, k, v = _x((3, 2)), _x((4, 2), 1), _x((4, 3), 2)
    e = ex.attention((q, k, v), causal=True)
    expected = gn.nn.functional.scaled_dot_product_attention(
        gn.tensor(q), gn.tensor(k), gn.tensor(v), is_causal=True).numpy()
    np.testing.assert_allclose(e.Y, expected, atol=1e-12, rtol=0)
    X, w = _x((3, 4), 3), [_x((4, 2), s) for s in (4, 5, 6)]
    e = ex.attention((X, *w), key_padding_mask=np.array([False, False, True]))
    assert e.max_error <= 1e-12 and e.P[:, 2].max() == 0.0
    assert "W_Q" in e.to_text() and "[W_Q; b_Q]" not in e.to_text()


def test_html_and_notebook_display():
    gn.manual_seed(0)
    e = ex.attention(nn.MultiheadAttention(4, 2), _x((3, 4)), causal=True)
    page = e._repr_html_()
    assert page.startswith('<div class="gn-explain">') and "P = softmax(Z)" in page
    assert page.count('class="gn-cell"') >= 5  # Q, K, V, S and A_h each highlight one cell
    assert e.to_html(full_page=True).startswith("<!DOCTYPE html>")


def test_errors():
    with pytest.raises(GlassnetTypeError, match="needs an input x"):
        ex.attention(nn.MultiheadAttention(4, 2))
    with pytest.raises(GlassnetTypeError, match=r"\(Q, K, V\) or \(X, W_Q, W_K, W_V\)"):
        ex.attention((np.ones((2, 2)), np.ones((2, 2))))
    with pytest.raises(GlassnetTypeError, match="add_bias_kv"):
        ex.attention(nn.MultiheadAttention(4, 2, add_bias_kv=True), np.ones((2, 4)))


def test_golden_text():
    e = ex.attention(golden_attention_layer(), [[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 0, -1]], causal=True,
                     head=1, cell=(2, 1))
    check_golden(e.to_text(), "attention_causal_2heads")
