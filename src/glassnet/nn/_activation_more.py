"""Activation modules for the further elementwise activations: thin wrappers over
``F.softplus``, ``F.elu``, ``F.silu``, ``F.mish``, ``F.hardtanh``, ``F.softsign``,
``F.logsigmoid`` and ``F.tanhshrink``, with PyTorch's arguments and defaults. Shapes: any,
elementwise."""

from glassnet._errors import GlassnetValueError
from glassnet.nn import functional as F
from glassnet.nn._module import Module

__all__ = ["Softplus", "ELU", "SiLU", "Mish", "Hardtanh", "Softsign", "LogSigmoid", "Tanhshrink"]


def _inplace_repr(module):
    return ", inplace=True" if module.inplace else ""


class Softplus(Module):
    """``log(1 + exp(β·x)) / β``, linear (``x``) where ``β·x > threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class ELU(Module):
    """``x`` if positive else ``alpha·(exp(x) - 1)``."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.inplace = inplace
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_repr(self)


class SiLU(Module):
    """``x · σ(x)``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.silu(x, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Mish(Module):
    """``x · tanh(softplus(x))``."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.mish(x, inplace=self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.inplace = inplace
        if min_val > max_val:
            raise GlassnetValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, inplace=self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_repr(self)


class Softsign(Module):
    """``x / (1 + |x|)``."""

    def forward(self, x):
        return F.softsign(x)


class LogSigmoid(Module):
    """``log σ(x)``, stable for large |x|."""

    def forward(self, x):
        return F.logsigmoid(x)


class Tanhshrink(Module):
    """``x - tanh(x)``."""

    def forward(self, x):
        return F.tanhshrink(x)
