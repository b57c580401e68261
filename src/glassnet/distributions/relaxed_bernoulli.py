"""PyTorch's module path ``torch.distributions.relaxed_bernoulli`` (``from
torch.distributions.relaxed_bernoulli import RelaxedBernoulli`` works after the import change);
the classes live in ``glassnet.distributions._relaxed``."""

from glassnet.distributions._relaxed import LogitRelaxedBernoulli, RelaxedBernoulli

__all__ = ["LogitRelaxedBernoulli", "RelaxedBernoulli"]
