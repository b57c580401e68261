"""PyTorch programs run on glassnet by changing only the import: each program in
``tests/pytorch_programs`` runs once with ``torch`` and once with ``glassnet`` in its place,
from the same weights and data, and every result it returns must agree — float64 to 1e-10
(the arithmetic is the same), float32 to 1e-5, integers, booleans and strings exactly,
dtypes and shapes included."""

import numpy as np
import pytest

import glassnet
from pytorch_programs import PROGRAMS

torch = pytest.importorskip("torch")

TOL = {"float64": {"rtol": 1e-10, "atol": 1e-12}, "float32": {"rtol": 1e-5, "atol": 1e-6}}


@pytest.fixture(autouse=True)
def _default_dtypes_restored():
    yield
    torch.set_default_dtype(torch.float32)
    glassnet.set_default_dtype(glassnet.float32)


def _plain(value):
    """A tensor of either library as a NumPy array; containers element by element."""
    if isinstance(value, (torch.Tensor, glassnet.Tensor)):
        return np.asarray(value.detach().cpu().numpy())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _assert_same(ours, theirs, where):
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            _assert_same(ours[key], theirs[key], f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (where, ours, theirs)
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), (where, type(ours))
        assert (ours.shape, str(ours.dtype)) == (theirs.shape, str(theirs.dtype)), where
        if theirs.dtype.kind == "f":
            np.testing.assert_allclose(ours, theirs, equal_nan=True, err_msg=where, **TOL[str(theirs.dtype)])
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=where)
    elif isinstance(theirs, float):
        assert isinstance(ours, float), (where, ours)
        np.testing.assert_allclose(ours, theirs, err_msg=where, **TOL["float64"])
    else:
        assert type(ours) is type(theirs) and ours == theirs, (where, ours, theirs)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_gives_pytorchs_results(name):
    program = PROGRAMS[name]
    theirs = _plain(program(torch))
    torch.set_default_dtype(torch.float32)
    ours = _plain(program(glassnet))
    _assert_same(ours, theirs, name)


def test_the_suite_covers_the_issue_categories():
    assert {"tensors_tutorial", "tensor_surface", "autograd_tutorial", "custom_function", "nn_manual_update",
            "optimiser_loop", "dataloader_with_samplers", "lstm_tagger",
            "char_language_model"} <= set(PROGRAMS)
