"""PyTorch's module path ``torch.distributions.transforms`` (``from torch.distributions.transforms
import ExpTransform`` works after the import change); the transforms live in
``glassnet.distributions._transforms``."""

from glassnet.distributions._transforms import (
    AbsTransform,
    AffineTransform,
    ExpTransform,
    PowerTransform,
    SigmoidTransform,
    SoftplusTransform,
    TanhTransform,
    Transform,
)

__all__ = ["AbsTransform", "AffineTransform", "ExpTransform", "PowerTransform", "SigmoidTransform",
           "SoftplusTransform", "TanhTransform", "Transform"]
