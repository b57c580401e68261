"""PyTorch's module path ``torch.distributions.kl`` (``from torch.distributions.kl import
kl_divergence`` works after the import change); the pairs live in
``glassnet.distributions._kl``."""

from glassnet.distributions._kl import kl_divergence, register_kl

__all__ = ["kl_divergence", "register_kl"]
