"""Spectral normalisation (parametrization and old hook API) and the orthogonal
parametrization against PyTorch, in float64: the same weights and the same u, v buffers
(or base) copied into both, then outputs, σ, the updated buffers and the gradients equal
torch's over several optimizer steps."""

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)

LAYERS = {
    "linear": (lambda m: m.Linear(5, 4), (3, 5)),
    "conv2d": (lambda m: m.Conv2d(2, 3, 3), (2, 2, 6, 6)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(2, 3, 3, stride=2), (2, 2, 4, 4)),
}


def _copy_state(ours, theirs):
    """Theirs' whole state (weights and buffers) into ours."""
    ours.load_state_dict({k: gn.tensor(v.numpy()) for k, v in theirs.state_dict().items()})


def _close(a, b, tol=1e-10):
    a = a.detach().numpy() if hasattr(a, "detach") else a.numpy()
    b = b.detach().numpy() if hasattr(b, "detach") else b.numpy()
    np.testing.assert_allclose(a, b, rtol=0, atol=tol)


def _parametrized_pair(layer, **kwargs):
    build, shape = LAYERS[layer]
    theirs = torch.nn.utils.parametrizations.spectral_norm(build(torch.nn).double(), **kwargs)
    ours = nn.utils.parametrizations.spectral_norm(build(nn).double(), **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(ours, theirs)
    return ours, theirs, shape


def _train_and_compare(ours, theirs, shape, originals, buffers, steps=4):
    """Steps of SGD with momentum on sum(y²); after each forward the outputs and the named
    buffers, after each backward the gradients of ``originals`` agree."""
    opt = gn.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    for _ in range(steps):
        x = RNG.standard_normal(shape)
        y, y_t = ours(gn.tensor(x)), theirs(torch.tensor(x))
        _close(y, y_t)
        for name in buffers:
            _close(ours.get_buffer(name), theirs.get_buffer(name))
        opt.zero_grad()
        opt_t.zero_grad()
        (y * y).sum().backward()
        (y_t * y_t).sum().backward()
        for name in originals:
            _close(ours.get_parameter(name).grad, theirs.get_parameter(name).grad)
        opt.step()
        opt_t.step()


def _sigma(weight, dim, u, v):
    mat = np.moveaxis(weight, dim, 0).reshape(weight.shape[dim], -1)
    return u @ mat @ v


@pytest.mark.parametrize("layer", list(LAYERS))
@pytest.mark.parametrize("n_power_iterations", [1, 3])
def test_spectral_norm_parametrization_trains_as_pytorch(layer, n_power_iterations):
    ours, theirs, shape = _parametrized_pair(layer, n_power_iterations=n_power_iterations)
    prefix = "parametrizations.weight."
    _train_and_compare(ours, theirs, shape, [prefix + "original"], [prefix + "0._u", prefix + "0._v"])
    # σ as torch's: W / weight
    dim = 1 if layer == "conv_transpose2d" else 0
    plist = ours.parametrizations.weight
    original = plist.original.detach().numpy()
    sigma = _sigma(original, dim, plist[0]._u.numpy(), plist[0]._v.numpy())
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(ours.weight.detach().numpy() * sigma, original, atol=1e-12)
    _close(ours.weight, theirs.weight)


def test_spectral_norm_eval_mode_keeps_u_v_and_normalises_to_unit_sigma():
    ours, theirs, shape = _parametrized_pair("conv2d")
    ours.eval()
    theirs.eval()
    u = ours.parametrizations.weight[0]._u.numpy().copy()
    x = RNG.standard_normal(shape)
    for _ in range(3):
        _close(ours(gn.tensor(x)), theirs(torch.tensor(x)))
    np.testing.assert_array_equal(ours.parametrizations.weight[0]._u.numpy(), u)
    # after many training accesses σ is the top singular value: ‖W / σ‖₂ = 1
    ours.train()
    for _ in range(50):
        ours.weight  # noqa: B018  (each training access runs a power-iteration step)
    weight = ours.weight.detach().numpy().reshape(3, -1)
    np.testing.assert_allclose(np.linalg.svd(weight, compute_uv=False)[0], 1.0, atol=1e-10)


def test_spectral_norm_state_dict_round_trips_and_dim_can_be_chosen():
    ours, theirs, _ = _parametrized_pair("linear", dim=1)
    assert ours.parametrizations.weight[0]._u.shape == (5,)
    assert ours.parametrizations.weight[0]._v.shape == (4,)
    ours.eval()
    theirs.eval()
    _close(ours.weight, theirs.weight)
    with pytest.raises(gn.GlassnetValueError, match="n_power_iterations"):
        nn.utils.parametrizations.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


def test_spectral_norm_of_a_vector_is_normalisation():
    layer = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 2), name="bias")
    bias = layer.parametrizations.bias.original.detach().numpy()
    np.testing.assert_allclose(layer.bias.detach().numpy(), bias / np.linalg.norm(bias), atol=1e-15)


# -- the old hook API ----------------------------------------------------------------------------
def _hooked_pair(layer, **kwargs):
    build, shape = LAYERS[layer]
    theirs = torch.nn.utils.spectral_norm(build(torch.nn).double(), **kwargs)
    ours = nn.utils.spectral_norm(build(nn).double(), **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _copy_state(ours, theirs)
    return ours, theirs, shape


@pytest.mark.parametrize("layer", list(LAYERS))
def test_old_spectral_norm_hook_trains_as_pytorch_and_removes(layer):
    ours, theirs, shape = _hooked_pair(layer, n_power_iterations=2)
    assert isinstance(ours.weight, gn.Tensor) and not isinstance(ours.weight, gn.nn.Parameter)
    _train_and_compare(ours, theirs, shape, ["weight_orig"], ["weight_u", "weight_v"])
    ours.eval()
    theirs.eval()
    u = ours.weight_u.numpy().copy()
    x = RNG.standard_normal(shape)
    _close(ours(gn.tensor(x)), theirs(torch.tensor(x)))
    np.testing.assert_array_equal(ours.weight_u.numpy(), u)
    nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _close(ours.weight, theirs.weight)
    assert isinstance(ours.weight, gn.nn.Parameter)


def test_old_spectral_norm_refuses_twice_and_remove_without_it():
    layer = nn.utils.spectral_norm(nn.Linear(2, 2))
    with pytest.raises(gn.GlassnetValueError, match="already has spectral_norm"):
        nn.utils.spectral_norm(layer)
    with pytest.raises(gn.GlassnetValueError, match="not found"):
        nn.utils.remove_spectral_norm(nn.Linear(2, 2))


@pytest.mark.parametrize("api", ["parametrization", "hook"])
def test_two_forwards_before_one_backward_as_a_gan_discriminator(api):
    """D(real) and D(fake), then one backward: each σ keeps the u, v of its own forward."""
    ours, theirs, shape = (_parametrized_pair if api == "parametrization" else _hooked_pair)("conv2d")
    real, fake = RNG.standard_normal(shape), RNG.standard_normal(shape)
    loss = ours(gn.tensor(real)).mean() - ours(gn.tensor(fake)).mean()
    loss_t = theirs(torch.tensor(real)).mean() - theirs(torch.tensor(fake)).mean()
    _close(loss, loss_t)
    loss.backward()
    loss_t.backward()
    name = "parametrizations.weight.original" if api == "parametrization" else "weight_orig"
    _close(ours.get_parameter(name).grad, theirs.get_parameter(name).grad)


# -- orthogonal ----------------------------------------------------------------------------------
MAPS = ["matrix_exp", "cayley", "householder"]
SHAPES = {"square": (4, 4), "tall": (5, 3), "wide": (3, 5)}


def _orthogonality_error(w):
    w = w.detach().numpy()
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    return np.abs(gram - np.eye(min(w.shape))).max()


def _orthogonal_pair(shape, **kwargs):
    weight = RNG.standard_normal(shape)
    theirs = torch.nn.Linear(shape[1], shape[0]).double()
    ours = nn.Linear(shape[1], shape[0], dtype=gn.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
    _copy_state(ours, theirs)
    torch.nn.utils.parametrizations.orthogonal(theirs, **kwargs)
    nn.utils.parametrizations.orthogonal(ours, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    return ours, theirs


@pytest.mark.parametrize("trivialization", [True, False], ids=["trivialization", "plain"])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_orthogonal_trains_as_pytorch_and_stays_orthogonal(orthogonal_map, shape, trivialization):
    ours, theirs = _orthogonal_pair(SHAPES[shape], orthogonal_map=orthogonal_map,
                                    use_trivialization=trivialization)
    if not trivialization or shape == "square":  # a rectangular base is completed at random
        _close(ours.parametrizations.weight.original, theirs.parametrizations.weight.original, 1e-12)
    _copy_state(ours, theirs)
    assert _orthogonality_error(ours.weight) < 1e-12
    for _ in range(3):
        _train_and_compare(ours, theirs, (2, SHAPES[shape][1]), ["parametrizations.weight.original"], [],
                           steps=1)
        _close(ours.weight, theirs.weight)
        assert _orthogonality_error(ours.weight) < 1e-12


def test_orthogonal_default_map_follows_pytorch():
    square = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3))
    tall = nn.utils.parametrizations.orthogonal(nn.Linear(3, 5))
    assert square.parametrizations.weight[0].orthogonal_map == "matrix_exp"
    assert tall.parametrizations.weight[0].orthogonal_map == "householder"


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("orthogonal_map", MAPS)
def test_assigning_an_orthogonal_matrix_stores_it(orthogonal_map, shape):
    # only householder can be assigned to without trivialization (see test_orthogonal_refusals)
    for triv in (True, False) if orthogonal_map == "householder" else (True,):
        ours, theirs = _orthogonal_pair(SHAPES[shape], orthogonal_map=orthogonal_map, use_trivialization=triv)
        q = np.linalg.qr(RNG.standard_normal(SHAPES[shape] if shape != "wide" else SHAPES[shape][::-1]))[0]
        q = q.T if shape == "wide" else q
        ours.weight = gn.tensor(q)
        theirs.weight = torch.tensor(q)
        np.testing.assert_allclose(ours.weight.detach().numpy(), q, atol=1e-12)
        _close(ours.weight, theirs.weight, 1e-12)


def test_assigning_a_general_square_matrix_orthogonalises_it_as_pytorch():
    ours, theirs = _orthogonal_pair((4, 4))
    a = RNG.standard_normal((4, 4))
    ours.weight = gn.tensor(a)
    theirs.weight = torch.tensor(a)
    _close(ours.weight, theirs.weight, 1e-12)
    _close(ours.parametrizations.weight[0].base, theirs.parametrizations.weight[0].base, 1e-12)


def test_orthogonal_refusals():
    with pytest.raises(gn.GlassnetValueError, match="matrix or batch of matrices"):
        nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), name="bias")
    with pytest.raises(gn.GlassnetValueError, match="orthogonal_map has to be one of"):
        nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    layer = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        layer.weight = gn.eye(3)
    with pytest.raises(gn.GlassnetValueError, match=r"shape \(3, 3\)"):
        nn.utils.parametrizations.orthogonal(nn.Linear(3, 3)).weight = gn.eye(2)


def test_orthogonal_recurrent_weight_runs_as_pytorch():
    theirs = torch.nn.RNN(3, 4, batch_first=True).double()
    ours = nn.RNN(3, 4, batch_first=True).double()
    torch.nn.utils.parametrizations.orthogonal(theirs, "weight_hh_l0")
    nn.utils.parametrizations.orthogonal(ours, "weight_hh_l0")
    _copy_state(ours, theirs)
    x = RNG.standard_normal((2, 6, 3))
    y, y_t = ours(gn.tensor(x))[0], theirs(torch.tensor(x))[0]
    _close(y, y_t)
    y.sum().backward()
    y_t.sum().backward()
    name = "parametrizations.weight_hh_l0.original"
    _close(ours.get_parameter(name).grad, theirs.get_parameter(name).grad)


# -- the primitives orthogonal rests on ----------------------------------------------------------
def test_matrix_exp_scales_and_squares_per_matrix_as_pytorch():
    """A batch whose matrices need 0, 3 and 6 squarings: values and gradients equal torch's."""
    a = RNG.standard_normal((3, 6, 6)) * np.array([0.1, 2.0, 20.0])[:, None, None]
    g = RNG.standard_normal((3, 6, 6))
    x, x_t = gn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, y_t = gn.linalg.matrix_exp(x), torch.linalg.matrix_exp(x_t)
    np.testing.assert_allclose(y.detach().numpy(), y_t.detach().numpy(), rtol=1e-11, atol=1e-12)
    (y * gn.tensor(g)).sum().backward()
    (y_t * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x_t.grad.numpy(), rtol=1e-10, atol=1e-12)
    skew = a - np.swapaxes(a, -1, -2)  # exp of a skew-symmetric matrix is orthogonal
    q = gn.tensor(skew).matrix_exp().numpy()
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(np.eye(6), q.shape), atol=1e-12)


def test_householder_product_refuses_shapes_that_do_not_fit():
    with pytest.raises(gn.ShapeError, match="m ≥ n ≥ k"):
        gn.linalg.householder_product(gn.zeros(3, 4), gn.zeros(2))


def test_remove_parametrizations_after_spectral_norm_keeps_w_over_sigma():
    ours, theirs, shape = _parametrized_pair("conv2d")
    nn.utils.parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["bias", "weight"]
    _close(ours.weight, theirs.weight)
