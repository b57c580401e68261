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
from glassnet.distributions._transforms_cat import CatTransform, StackTransform
from glassnet.distributions._transforms_event import (
    ComposeTransform,
    CumulativeDistributionTransform,
    IndependentTransform,
    ReshapeTransform,
    SoftmaxTransform,
    StickBreakingTransform,
    identity_transform,
)
from glassnet.distributions._transforms_matrix import (
    CorrCholeskyTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
)

__all__ = [
    "AbsTransform", "AffineTransform", "CatTransform", "ComposeTransform", "CorrCholeskyTransform",
    "CumulativeDistributionTransform", "ExpTransform", "IndependentTransform", "LowerCholeskyTransform",
    "PositiveDefiniteTransform", "PowerTransform", "ReshapeTransform", "SigmoidTransform",
    "SoftmaxTransform", "SoftplusTransform", "StackTransform", "StickBreakingTransform", "TanhTransform",
    "Transform", "identity_transform",
]
