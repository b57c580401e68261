"""explain.backprop of attention: every by-hand gradient equals autograd's (float64,
1e-12) — the layer's own parameter and input gradients, and the intermediate ones — for
layers, cross-attention and bare tensors; the softmax row is the arithmetic it says; the
rendering is a golden snapshot (regenerate with ``GLASSNET_UPDATE_GOLDEN=1``)."""

import copy

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from attention_modules import golden_attention_layer
from glassnet import nn
from glassnet._errors import GlassnetTypeError, ShapeError
from glassnet.nn import functional as F
from golden_text import check_golden


def _x(shape, seed=0):
    return np.round(np.random.default_rng(seed).standard_normal(shape), 2)


def _all_checked(e, at_most=1e-12):
    checked = [name for s in e.steps for name, (_, auto) in s.values.items() if auto is not None]
    worst = max(s.max_difference() or 0.0 for s in e.steps)
    assert worst <= at_most, [(s.title, s.max_difference()) for s in e.steps]
    return checked


def _layer_gradients(layer, x, target, mask):
    """The layer's gradients by autograd, computed here independently of explain."""
    twin = copy.deepcopy(layer).double()
    xt = gn.tensor(x, dtype=gn.float64, requires_grad=True)
    y = twin(xt, xt, xt, attn_mask=mask, need_weights=False)[0]
    (0.5 * ((y - gn.tensor(target)) ** 2).sum()).backward()
    return twin, xt.grad.numpy()


@pytest.mark.parametrize("heads", [1, 2, 3])
@pytest.mark.parametrize("masks", [{}, {"causal": True},
                                   {"key_padding_mask": np.array([False, True, False, False])}],
                         ids=["none", "causal", "padding"])
def test_every_gradient_equals_the_layers(heads, masks):
    gn.manual_seed(heads)
    layer = nn.MultiheadAttention(6, heads)
    with gn.no_grad():
        layer.in_proj_bias.array[...] = _x(18, 5)
        layer.out_proj.bias.array[...] = _x(6, 6)
    x, target = _x((4, 6)), _x((4, 6), 1)
    e = ex.backprop(layer, x, target, **masks, head=heads - 1, cell=(3, 1))
    names = _all_checked(e)
    assert {"dY", "dA", "dP", "dZ", "dW_O", "db_O", "dW_Q", "dW_K", "dW_V", "db_Q", "dX"} <= set(names)
    mask = np.zeros((4, 4))
    if masks.get("causal"):
        mask[np.triu(np.ones((4, 4), bool), 1)] = -np.inf
    if "key_padding_mask" in masks:
        mask[:, 1] = -np.inf
    twin, dx = _layer_gradients(layer, x, target, gn.tensor(mask))
    E = 6
    w = twin.in_proj_weight.grad.numpy()
    np.testing.assert_allclose(e.dW[0], w[:E].T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.dW[2], w[2 * E:].T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.db[1], twin.in_proj_bias.grad.numpy()[E:2 * E], rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.dW_O, twin.out_proj.weight.grad.numpy().T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(e.dX[0], dx, rtol=0, atol=1e-12)
    assert not np.allclose(e.dX[0], 0)


def test_the_steps_are_the_arithmetic_they_say():
    gn.manual_seed(0)
    layer = nn.MultiheadAttention(4, 2)
    e = ex.backprop(layer, _x((3, 4)), _x((3, 4), 1), causal=True, head=1, cell=(2, 1))
    f, h = e.forward, 1
    P, dP = f.P, e.dP[h]
    np.testing.assert_allclose(dP, e.dA[:, 2:4] @ f.V[:, 2:4].T, atol=1e-15)
    for i in range(3):  # the Jacobian of row i's softmax, diag(p) − p·pᵀ, times dP[i]
        jacobian = np.diag(P[i]) - np.outer(P[i], P[i])
        np.testing.assert_allclose(e.dZ[h][i], jacobian @ dP[i], atol=1e-15)
    np.testing.assert_allclose(e.dZ[h].sum(axis=1), 0, atol=1e-15)
    assert e.dZ[h][0, 1] == 0 and e.dZ[h][1, 2] == 0  # blocked keys get nothing
    np.testing.assert_allclose(e.dQ[:, 2:4], e.dZ[h] @ f.K[:, 2:4] / np.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(e.dK[:, 2:4], e.dZ[h].T @ f.Q[:, 2:4] / np.sqrt(2), atol=1e-15)
    np.testing.assert_allclose(e.db[1], 0, atol=1e-15)  # the key bias never matters
    text = e.to_text()
    row = f"rowsum = Σ_j P[2,j]·dP[2,j] = {gn.explain._render.fmt(P[2, 0])}·"
    assert row in text.replace("\n  ", " ") and "Step 9. The input" in text


def test_cross_attention_and_mse():
    gn.manual_seed(1)
    layer = nn.MultiheadAttention(4, 2, kdim=3, vdim=5).double()
    e = ex.backprop(layer, _x((2, 4)), _x((2, 4), 3), key=_x((3, 3), 1), value=_x((3, 5), 2), loss="mse")
    assert {"dX_q", "dX_k", "dX_v"} <= set(_all_checked(e))
    assert e.dX[1].shape == (3, 3) and e.dX[2].shape == (3, 5)
    np.testing.assert_allclose(e.dY, 2 * (e.forward.Y - _x((2, 4), 3)) / 8, atol=1e-15)


def test_bare_tensors_against_scaled_dot_product_attention():
    q, k, v, g = _x((3, 2)), _x((4, 2), 1), _x((4, 3), 2), _x((3, 3), 3)
    e = ex.backprop((q, k, v), grad_output=g, causal=True)
    _all_checked(e)
    leaves = [gn.tensor(a, requires_grad=True, dtype=gn.float64) for a in (q, k, v)]
    F.scaled_dot_product_attention(*leaves, is_causal=True).backward(gn.tensor(g))
    for mine, leaf in zip((e.dQ, e.dK, e.dV), leaves, strict=True):
        np.testing.assert_allclose(mine, leaf.grad.numpy(), rtol=0, atol=1e-12)
    X, ws = _x((3, 4), 4), [_x((4, 2), s) for s in (5, 6, 7)]
    e = ex.backprop((X, *ws), _x((3, 2), 8))
    assert {"dW_Q", "dW_K", "dW_V", "dX"} <= set(_all_checked(e))
    assert "db_Q" not in e.to_text()


def test_html_and_errors():
    gn.manual_seed(0)
    layer = nn.MultiheadAttention(4, 2)
    e = ex.backprop(layer, _x((3, 4)), _x((3, 4), 1))
    page = e.to_html(full_page=True)
    assert page.startswith("<!DOCTYPE html>") and "the softmax, row by row" in page
    with pytest.raises(GlassnetTypeError, match="targets y"):
        ex.backprop(layer, _x((3, 4)))
    with pytest.raises(ShapeError, match=r"targets \(3, 3\) must have the output's shape \(3, 4\)"):
        ex.backprop(layer, _x((3, 4)), np.zeros((3, 3)))
    with pytest.raises(gn.GlassnetValueError, match="'sse' or 'mse'"):
        ex.backprop(layer, _x((3, 4)), _x((3, 4)), loss="cross_entropy")
    with pytest.raises(GlassnetTypeError, match="apply to attention only"):
        ex.backprop(nn.Sequential(nn.Linear(2, 2)), [1.0, 2.0], 0, causal=True)


def test_golden_text():
    x = [[1, 0, 1, 0], [0, 2, 0, 1], [1, 1, 0, -1]]
    target = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    e = ex.backprop(golden_attention_layer(), x, target, causal=True, head=1, cell=(2, 1))
    check_golden(e.to_text(), "attention_backprop_causal_2heads")
