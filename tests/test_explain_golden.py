"""Golden text snapshots of the by-hand renderings (tests/golden/explain/*.txt).

Regenerate after a reviewed change with ``GLASSNET_UPDATE_GOLDEN=1 pytest tests/test_explain_golden.py``
and read the diff. "up to floating-point rounding" is read as "exactly", so the files do
not depend on the BLAS's summation order.
"""

import numpy as np
import pytest

import glassnet as gn
import glassnet.explain as ex
from glassnet import nn
from glassnet.explain._tour import seven_layer_mlp, tour_network
from golden_text import canonical, check_golden


def _four():
    lin = nn.Linear(3, 4, dtype=gn.float64)
    lin.weight.data[...] = [[1, 0, 1], [0, 1, -1], [1, 1, 0], [-1, 0, 1]]
    lin.bias.data[...] = [0, -1, 1, -2]
    return nn.Sequential(lin, nn.ReLU())


def _trace():
    x = gn.tensor([[1.0, -2.0]], dtype=gn.float64)
    w = gn.tensor([[1.0, 2.0], [3.0, -1.0]], dtype=gn.float64, requires_grad=True)
    with ex.trace() as t:
        (x @ w).relu().sum().backward()
    return t


CASES = {
    "matmul_seed": lambda: ex.matmul([[1, 1], [-1, 1]], [[1, 5, 2], [2, 4, 2]], highlight=(0, 1)),
    "matmul_19_22_43_50": lambda: ex.matmul([[1, 2], [3, 4]], [[5, 6], [7, 8]]),
    "matmul_mismatch": lambda: ex.matmul(np.ones((2, 3)), np.ones((2, 3))),
    "layer_batch": lambda: ex.layer(_four(), [[2, 1, 3], [1, -1, 0], [0, 2, 1]]),
    "layer_batch_row": lambda: ex.layer(_four(), [[2, 1, 3], [1, -1, 0], [0, 2, 1]], notation="row"),
    "forward_seven_layers": lambda: ex.forward(seven_layer_mlp(), [1, 2, 1]),
    "backprop_tour": lambda: ex.backprop(tour_network(), [1, 2, 1], [0, 1, 0], lr=0.1),
    "worksheet_backprop_7": lambda: ex.worksheet("backprop", seed=7),
    "worksheet_backprop_7_key": lambda: ex.worksheet("backprop", seed=7).answer_key,
    "worksheet_attention_0": lambda: ex.worksheet("attention", seed=0),
    "worksheet_attention_0_key": lambda: ex.worksheet("attention", seed=0).answer_key,
    "trace_tiny": _trace,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_text(name):
    check_golden(CASES[name]().to_text(), name)


def test_golden_text_is_stable_across_calls():
    assert CASES["backprop_tour"]().to_text() == CASES["backprop_tour"]().to_text()


def test_canonical_text_reads_rounding_as_exact():
    a = "Check: the same (up to floating-point rounding; largest difference 4.4e-16)."
    b = "Check: the same (exactly; largest\n  difference 0.0e+00)."
    assert canonical(a) == canonical(b)
