"""``torch.nn.utils.parametrizations``: ready-made parametrizations, registered with
:func:`glassnet.nn.utils.parametrize.register_parametrization`.

- ``weight_norm(module)``: ``w = g · v / ‖v‖`` with g (``original0``, one norm per entry of
  ``dim``) and v (``original1``) learned — PyTorch's state-dict keys
  ``parametrizations.weight.original0`` / ``original1``.
- ``spectral_norm(module)``: ``w = W / σ(W)``, σ estimated by power iteration on the buffers
  ``_u``, ``_v`` (keys ``parametrizations.weight.original``, ``…weight.0._u``, ``…weight.0._v``).
- ``orthogonal(module)``: ``w`` orthogonal (``wᵀw = I`` or ``wwᵀ = I``) through the matrix
  exponential, the Cayley map or Householder reflections of ``original``.
"""

from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor
from glassnet.nn._module import Module
from glassnet.nn.utils._orthogonal import orthogonal
from glassnet.nn.utils._spectral_norm import default_dim, normalized, random_unit, sigma, weight_matrix
from glassnet.nn.utils._weight_norm import norm_except_dim, weight_from
from glassnet.nn.utils.parametrize import register_parametrization

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _WeightNorm(Module):
    """``forward(g, v) = g · v / ‖v‖``; ``right_inverse(w) = (‖w‖, w)`` (norms over every
    axis but ``dim``)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_from(weight_g, weight_v, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Weight normalisation as a parametrization: ``module.<name>`` becomes ``g · v / ‖v‖``.

    Args:
        module: the module whose parameter is reparametrised.
        name: the parameter's name (default ``"weight"``).
        dim: the axis that keeps one norm per entry (default 0; None: one norm in all).

    Example:
        >>> import glassnet as gn
        >>> conv = gn.nn.utils.parametrizations.weight_norm(gn.nn.Conv2d(2, 3, 3))
        >>> list(conv.state_dict())
        ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
        >>> conv.parametrizations.weight.original0.shape
        (3, 1, 1, 1)
    """
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """``forward(W) = W / σ``, ``σ = uᵀ W_mat v`` (see :mod:`glassnet.nn.utils._spectral_norm`);
    in training mode ``n_power_iterations`` steps update the buffers ``_u`` (h,), ``_v`` (w,)
    first. A 1-D W is simply normalised: ``W / max(‖W‖, eps)``."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        if not -weight.ndim <= dim < max(weight.ndim, 1) or n_power_iterations <= 0:
            raise GlassnetValueError(f"spectral_norm: dim={dim} must index an axis of the weight "
                                     f"{tuple(weight.shape)} and n_power_iterations="
                                     f"{n_power_iterations} must be positive")
        self.dim = dim % max(weight.ndim, 1)
        self.eps = eps
        if weight.ndim > 1:
            self.n_power_iterations = n_power_iterations
            h, w = weight_matrix(weight, self.dim).shape
            self.register_buffer("_u", random_unit(h, weight, eps))
            self.register_buffer("_v", random_unit(w, weight, eps))
            self._power_method(weight_matrix(weight, self.dim).array, 15)

    def _power_method(self, w, n_power_iterations):
        for _ in range(n_power_iterations):
            self._u.array[...] = normalized(w @ self._v.array, self.eps)
            self._v.array[...] = normalized(w.T @ self._u.array, self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return weight / weight.norm().clamp_min(self.eps)
        weight_mat = weight_matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat.array, self.n_power_iterations)
        return weight / sigma(weight_mat, self._u, self._v)

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectral normalisation as a parametrization: ``module.<name>`` becomes ``W / σ(W)``.

    At registration u and v are random unit vectors refined by 15 power-iteration steps;
    each training-mode access runs ``n_power_iterations`` more (without gradient, in place),
    then ``σ = uᵀ W_mat v`` is differentiated through W only. Eval mode runs none.

    Args:
        module: the module whose parameter is normalised.
        name: the parameter's name (default ``"weight"``).
        n_power_iterations: power-iteration steps per training access (default 1).
        eps: the floor of the norms when normalising u and v (default 1e-12).
        dim: the axis of W indexing the matrix's rows (default 0; 1 for ConvTranspose).

    Example:
        >>> import glassnet as gn
        >>> layer = gn.nn.utils.parametrizations.spectral_norm(gn.nn.Linear(4, 3))
        >>> list(layer.state_dict())  # doctest: +NORMALIZE_WHITESPACE
        ['bias', 'parametrizations.weight.original', 'parametrizations.weight.0._u',
         'parametrizations.weight.0._v']
        >>> s = gn.linalg.svdvals(layer.weight.detach())[0].item()
        >>> abs(s - 1.0) < 0.1
        True
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise GlassnetValueError(f"spectral_norm: {type(module).__name__} has no tensor {name!r}")
    dim = default_dim(module, dim)
    return register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
