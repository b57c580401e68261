"""PyTorch's module path ``torch.distributions.relaxed_categorical`` (``from
torch.distributions.relaxed_categorical import RelaxedOneHotCategorical`` works after the import
change); the classes live in ``glassnet.distributions._relaxed``."""

from glassnet.distributions._relaxed import ExpRelaxedCategorical, RelaxedOneHotCategorical

__all__ = ["ExpRelaxedCategorical", "RelaxedOneHotCategorical"]
