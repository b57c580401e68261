"""Activation modules for the further elementwise activations: thin wrappers over
``F.softplus``, ``F.elu``, ``F.silu``, ``F.mish``, ``F.hardtanh``, ``F.softsign``,
``F.logsigmoid`` and ``F.tanhshrink``, with PyTorch's arguments and defaults. Shapes: any,
elementwise."""

from glassnet._errors import GlassnetValueError
from glassnet.nn import functional as F
from glassnet.nn._module import Module

__all__ = ["Softplus", "ELU", "SiLU", "Mish", "Hardtanh", "Softsign", "LogSigmoid", "Tanhshrink"]


def _not_inplace(name, inplace):
    if inplace:
        raise GlassnetValueError(f"{name}: inplace=True is not supported (got inplace=True); glassnet "
                                 f"returns a new tensor — write nn.{name}() with inplace=False")


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
        _not_inplace("ELU", inplace)
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class SiLU(Module):
    """``x · σ(x)``."""

    def __init__(self, inplace=False):
        super().__init__()
        _not_inplace("SiLU", inplace)

    def forward(self, x):
        return F.silu(x)


class Mish(Module):
    """``x · tanh(softplus(x))``."""

    def __init__(self, inplace=False):
        super().__init__()
        _not_inplace("Mish", inplace)

    def forward(self, x):
        return F.mish(x)


class Hardtanh(Module):
    """``x`` clamped to ``[min_val, max_val]``."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        _not_inplace("Hardtanh", inplace)
        if min_val > max_val:
            raise GlassnetValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


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
