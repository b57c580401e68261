"""Spectral normalisation (Miyato et al., 2018): ``W / σ(W)``, σ the largest singular value
of W viewed as a matrix, estimated by power iteration — PyTorch's old hook API
``spectral_norm`` / ``remove_spectral_norm``, and the pieces shared with
:func:`glassnet.nn.utils.parametrizations.spectral_norm`.

W (any shape, ``dim`` first) is viewed as the matrix ``W_mat`` (h, w) = W moved so ``dim``
leads, flattened after it. u (h,) and v (w,) are unit vectors; one power-iteration step is
``v ← normalize(W_matᵀ u)``, ``u ← normalize(W_mat v)`` (``normalize(x) = x / max(‖x‖, eps)``),
computed without gradient and written into the buffers in place; then ``σ = uᵀ W_mat v`` is
differentiated through W only (u, v are constants).

``spectral_norm(module)`` replaces the parameter ``weight`` by ``weight_orig`` and the
buffers ``weight_u``, ``weight_v``, and sets ``module.weight`` (a plain attribute, not in the
state dict) before every forward (a forward pre-hook); in training mode it first runs
``n_power_iterations`` steps, in eval mode none.
"""

from glassnet._backend import default_generator, namespace
from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.autograd._tensor import Tensor
from glassnet.nn._conv import _ConvTransposeNd
from glassnet.nn._parameter import Parameter

__all__ = ["spectral_norm", "remove_spectral_norm", "default_dim", "weight_matrix", "normalized",
           "random_unit", "sigma"]


def default_dim(module, dim):
    """``dim`` as given, else 1 for a transposed convolution (its weight is (in, out, …)), else 0."""
    if dim is not None:
        return dim
    return 1 if isinstance(module, _ConvTransposeNd) else 0


def weight_matrix(weight, dim):
    """W as the matrix (W.shape[dim], rest): ``dim`` moved first, the other axes flattened."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def normalized(x, eps):
    """The array ``x / max(‖x‖₂, eps)`` (PyTorch's ``F.normalize`` of a vector)."""
    xp = namespace(x)
    return x / max(float(xp.sqrt((x * x).sum())), eps)


def random_unit(n, like, eps):
    """A unit vector (n,) of the dtype and on the device of the tensor ``like``: standard
    normal draws, normalised."""
    draws = default_generator().normal(0.0, 1.0, (n,)).astype(like.array.dtype)
    return Tensor._wrap(namespace(like.array).asarray(normalized(draws, eps)), False, None)


def sigma(weight_mat, u, v):
    """``σ = uᵀ W_mat v`` with u, v copied (constants, later in-place updates do not reach it)."""
    return u.clone().dot(weight_mat.mv(v.clone()))


class _SpectralNormHook:
    """The forward pre-hook that sets ``module.<name>`` to ``<name>_orig / σ``."""

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        weight_mat = weight_matrix(weight, self.dim)
        if do_power_iteration:
            w = weight_mat.array
            for _ in range(self.n_power_iterations):
                v.array[...] = normalized(w.T @ u.array, self.eps)
                u.array[...] = normalized(w @ v.array, self.eps)
        return weight / sigma(weight_mat, u, v)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Replace ``module.<name>`` by ``<name>_orig / σ`` (PyTorch's old hook API).

    Args:
        module: the module whose parameter is normalised.
        name: the parameter's name (default ``"weight"``).
        n_power_iterations: power-iteration steps per training forward (default 1).
        eps: the floor of the norms when normalising u and v (default 1e-12).
        dim: the axis of W that indexes the matrix's rows (default 0; 1 for ConvTranspose).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.utils.spectral_norm(gn.nn.Linear(4, 3))
        >>> list(layer.state_dict()), tuple(layer.weight_u.shape), tuple(layer.weight_v.shape)
        (['bias', 'weight_orig', 'weight_u', 'weight_v'], (3,), (4,))
    """
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            raise GlassnetValueError(f"spectral_norm: {type(module).__name__}.{name} already has "
                                     "spectral_norm (two hooks on one parameter)")
    weight = getattr(module, name, None)
    if not isinstance(weight, Parameter):
        raise GlassnetValueError(f"spectral_norm: {type(module).__name__}.{name} is not a Parameter "
                                 f"(got {type(weight).__name__})")
    if weight.ndim < 1 or n_power_iterations < 0:
        raise GlassnetValueError(f"spectral_norm: needs a weight with at least one axis and "
                                 f"n_power_iterations >= 0; got shape {tuple(weight.shape)}, "
                                 f"n_power_iterations={n_power_iterations}")
    hook = _SpectralNormHook(name, n_power_iterations, default_dim(module, dim) % max(weight.ndim, 1), eps)
    h, w = weight_matrix(weight, hook.dim).shape
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach())
    module.register_buffer(name + "_u", random_unit(h, weight, eps))
    module.register_buffer(name + "_v", random_unit(w, weight, eps))
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo :func:`spectral_norm`: ``<name>`` becomes a Parameter again, holding ``<name>_orig / σ``
    (σ from the current u, v, without a power-iteration step)."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, _SpectralNormHook) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            for suffix in ("", "_u", "_v", "_orig"):
                delattr(module, name + suffix)
            module.register_parameter(name, Parameter(weight.detach()))
            del module._forward_pre_hooks[key]
            return module
    raise GlassnetValueError(f"remove_spectral_norm: spectral_norm of {name!r} not found in "
                             f"{type(module).__name__}")
