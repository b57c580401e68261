"""Modules for the activations of ``_functional_activation_more`` (PyTorch's arguments,
defaults and reprs): ReLU6, Hardsigmoid, Hardswish, SELU, CELU, Threshold, PReLU (a
learned slope), GLU, Softmin, Hardshrink, Softshrink, Dropout1d, Dropout3d."""

from glassnet._creation import full
from glassnet.nn import functional as F
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter

__all__ = ["CELU", "GLU", "PReLU", "SELU", "Dropout1d", "Dropout3d", "Hardshrink", "Hardsigmoid", "Hardswish",
           "ReLU6", "Softmin", "Softshrink", "Threshold"]


class _InplaceActivation(Module):
    """An elementwise activation with PyTorch's ``inplace=`` switch."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU6(_InplaceActivation):
    """``min(max(x, 0), 6)``."""

    def forward(self, x):
        return F.relu6(x, self.inplace)


class Hardsigmoid(_InplaceActivation):
    """``relu6(x + 3) / 6``."""

    def forward(self, x):
        return F.hardsigmoid(x, self.inplace)


class Hardswish(_InplaceActivation):
    """``x · relu6(x + 3) / 6``."""

    def forward(self, x):
        return F.hardswish(x, self.inplace)


class SELU(_InplaceActivation):
    """``scale · elu(x, alpha)`` (self-normalising constants)."""

    def forward(self, x):
        return F.selu(x, self.inplace)


class CELU(Module):
    """``max(0, x) + min(0, α·(exp(x/α) − 1))``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return F.celu(x, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """``x`` if positive else ``a·x``, ``a`` learned: ``weight`` of shape (num_parameters,)
    (1, or one per channel — dim 1 of the input), starting at ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class GLU(Module):
    """``a · σ(b)``, ``a, b`` the halves of the input along ``dim``."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Module):
    """``softmax(−x)`` along ``dim``."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Hardshrink(Module):
    """``x`` where ``|x| > λ``, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """``x ∓ λ`` outside [−λ, λ], else 0."""

    def forward(self, x):
        return F.softshrink(x, self.lambd)


class Dropout1d(Module):
    """Zero whole channels of (N, C, L) in training, scale the rest by 1/(1 − p)."""

    _function = staticmethod(F.dropout1d)

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return self._function(x, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout3d(Dropout1d):
    """Zero whole channels of (N, C, D, H, W) in training, scale the rest by 1/(1 − p)."""

    _function = staticmethod(F.dropout3d)
