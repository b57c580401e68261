"""gn.sparse (torch.sparse, held dense) against PyTorch: the dense tensor a COO description
gives (repeated positions summed, size inferred, dtype), products, gradients to the values,
the legacy constructors, and what is refused."""

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

INDICES = [[0, 0, 2, 1], [1, 1, 0, 2]]
VALUES = [1.0, 2.0, 3.0, -0.5]


def _both(size=None, dtype="float64"):
    out = []
    for lib in (gn, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = lib.tensor(VALUES, dtype=getattr(lib, dtype), requires_grad=True)
            args = (lib.tensor(INDICES), values) + (() if size is None else (size,))
            made = lib.sparse_coo_tensor(*args)
        out.append((made, values))
    return out


@pytest.mark.parametrize("size", [None, (3, 4)])
def test_the_dense_tensor_is_pytorchs_with_repeated_positions_summed(size):
    (ours, _), (theirs, _) = _both(size)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.to_dense().detach().numpy(), theirs.to_dense().detach().numpy())
    assert ours.is_sparse is False and ours.coalesce() is ours


def test_products_and_gradients_to_the_values_match_pytorch():
    (ours, v_ours), (theirs, v_theirs) = _both((3, 4))
    x = np.arange(8.0).reshape(4, 2)
    gn.spmm(ours, gn.tensor(x)).sum().backward()
    torch.sparse.mm(theirs, torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(v_ours.grad.numpy(), v_theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gn.sparse.mm(ours, gn.tensor(x)).detach().numpy(),
                               torch.spmm(theirs, torch.tensor(x)).detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(gn.sparse.sum(ours).item(), torch.sparse.sum(theirs).item(), rtol=1e-12)


def test_legacy_constructor_and_the_one_warning():
    gn.sparse._warned.clear()
    with pytest.warns(UserWarning, match="no sparse tensors"):
        made = gn.sparse.FloatTensor(gn.tensor(INDICES), gn.tensor(VALUES, dtype=gn.float64), (3, 3))
    assert made.dtype == gn.float32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gn.sparse_coo_tensor(gn.tensor(INDICES), gn.tensor(VALUES))  # warned once already


@pytest.mark.parametrize("call, message", [
    (lambda: gn.sparse_coo_tensor(gn.tensor(INDICES), gn.tensor(VALUES), (2, 2)), "does not hold indices"),
    (lambda: gn.sparse_coo_tensor(gn.tensor(INDICES), gn.tensor(VALUES[:3])), "the same nnz"),
    (lambda: gn.sparse.softmax(gn.ones(2, 2), 1), "stored entries only"),
    (lambda: gn.sparse.FloatTensor(3, 3), "sparse_coo_tensor"),
])
def test_what_cannot_be_given_raises_by_name(call, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match=message):
            call()
