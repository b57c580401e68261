"""Independent: reinterpret some of a distribution's batch dimensions as event
dimensions — a diagonal multivariate normal is ``Independent(Normal(μ, σ), 1)``:
log p sums the base's log p over those dimensions, and so does the entropy."""

from glassnet._errors import GlassnetValueError
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution

__all__ = ["Independent", "sum_rightmost"]


def sum_rightmost(value, dims):
    """Sum over the ``dims`` rightmost dimensions (none when ``dims`` is 0)."""
    return value.reshape(tuple(value.shape[: value.ndim - dims]) + (-1,)).sum(-1) if dims > 0 else value


class Independent(Distribution):
    """``base_distribution`` with its ``reinterpreted_batch_ndims`` rightmost batch
    dimensions moved into the event: batch_shape (B..., R...) → batch (B...), event (R..., E...).

    log p(x) = Σ over the R dimensions of base.log_prob(x);  H = Σ_R base.entropy()
    """

    arg_constraints = {}

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        batch = tuple(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > len(batch):
            raise ValueError(
                "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), "
                f"actual {reinterpreted_batch_ndims} vs {len(batch)}")
        if reinterpreted_batch_ndims < 0:
            raise GlassnetValueError(f"Independent: reinterpreted_batch_ndims must be >= 0, got "
                                     f"{reinterpreted_batch_ndims}")
        cut = len(batch) - reinterpreted_batch_ndims
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(batch[:cut], batch[cut:] + tuple(base_distribution.event_shape),
                         validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        base_batch = batch_shape + tuple(self._event_shape[:self.reinterpreted_batch_ndims])
        return {"base_dist": self.base_dist.expand(base_batch),
                "reinterpreted_batch_ndims": self.reinterpreted_batch_ndims}

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self):
        return False if self.reinterpreted_batch_ndims > 0 else self.base_dist.has_enumerate_support

    @property
    def support(self):
        result = self.base_dist.support
        return constraints.independent(result, self.reinterpreted_batch_ndims) \
            if self.reinterpreted_batch_ndims else result

    @property
    def mean(self):
        return self.base_dist.mean

    @property
    def mode(self):
        return self.base_dist.mode

    @property
    def variance(self):
        return self.base_dist.variance

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return sum_rightmost(self.base_dist.log_prob(value), self.reinterpreted_batch_ndims)

    def entropy(self):
        return sum_rightmost(self.base_dist.entropy(), self.reinterpreted_batch_ndims)

    def __repr__(self):
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
