"""MixtureSameFamily: a Categorical choice among K components of one family (a mixture
density network's output layer, a Gaussian mixture)."""

from glassnet.autograd._mode import no_grad
from glassnet.distributions._discrete import Categorical
from glassnet.distributions._distribution import Distribution
from glassnet.ops import gather

__all__ = ["MixtureSameFamily"]


class MixtureSameFamily(Distribution):
    """p(x) = Σ_k π_k·p_k(x): ``mixture_distribution`` a Categorical over K (batch B), and
    ``component_distribution`` of batch shape B + (K,) whose rightmost batch dimension indexes
    the components. batch_shape B, event_shape the components'.

    log p(x) = logsumexp_k(log π_k + log p_k(x));  mean Σ π_k·μ_k
    variance Σ π_k·σ_k² + Σ π_k·(μ_k − μ)²;  cdf Σ π_k·F_k(x);  draws: k ~ π, then x ~ p_k
    """

    arg_constraints = {}
    has_rsample = False

    def __init__(self, mixture_distribution, component_distribution, validate_args=None):
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The Mixture distribution needs to be an instance of torch.distributions."
                             f"Categorical, got {type(mixture_distribution).__name__}")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution need to be an instance of torch.distributions."
                             f"Distribution, got {type(component_distribution).__name__}")
        mixture_batch = tuple(mixture_distribution.batch_shape)
        component_batch = tuple(component_distribution.batch_shape)
        if len(component_batch) < 1 or component_batch[:-1] != mixture_batch:
            raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_distribution.batch_shape}) "
                             "is not compatible with `component_distribution.batch_shape`"
                             f"({component_distribution.batch_shape})")
        k = mixture_distribution._num_events
        if component_batch[-1] != k:
            raise ValueError(f"`mixture_distribution component` ({k}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({component_batch[-1]})")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(mixture_batch, component_distribution.event_shape, validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        k = self._num_component
        return {"_mixture_distribution": self._mixture_distribution.expand(batch_shape),
                "_component_distribution": self._component_distribution.expand(tuple(batch_shape) + (k,)),
                "_num_component": k, "_event_ndims": self._event_ndims}

    @property
    def mixture_distribution(self):
        return self._mixture_distribution

    @property
    def component_distribution(self):
        return self._component_distribution

    @property
    def support(self):
        return self._component_distribution.support

    def _pad(self, x):
        """x with a components axis inserted left of the event dimensions."""
        return x.unsqueeze(-1 - self._event_ndims)

    def _weights(self):
        """π with singleton event dimensions, to weight per-component quantities."""
        probs = self._mixture_distribution.probs
        return probs.reshape(tuple(probs.shape) + (1,) * self._event_ndims)

    @property
    def mean(self):
        return (self._weights() * self._component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self):
        dim, w = -1 - self._event_ndims, self._weights()
        components = self._component_distribution
        within = (w * components.variance).sum(dim)
        between = (w * (components.mean - self._pad(self.mean)).pow(2)).sum(dim)
        return within + between

    def cdf(self, x):
        return (self._component_distribution.cdf(self._pad(x)) * self._mixture_distribution.probs).sum(-1)

    def log_prob(self, x):
        if self._validate_args:
            self._validate_sample(x)
        log_components = self._component_distribution.log_prob(self._pad(x))
        log_weights = self._mixture_distribution.logits.log_softmax(-1)
        return (log_components + log_weights).logsumexp(-1)

    def sample(self, sample_shape=()):
        with no_grad():
            which = self._mixture_distribution.sample(sample_shape)  # S + B
            draws = self._component_distribution.sample(sample_shape)  # S + B + (K,) + E
            event = tuple(self._event_shape)
            index = which.reshape(tuple(which.shape) + (1,) + (1,) * len(event))
            index = index.expand(tuple(which.shape) + (1,) + event)
            return gather(draws, -1 - len(event), index).squeeze(-1 - len(event))

    def __repr__(self):
        return (f"MixtureSameFamily(\n  {self._mixture_distribution!r},\n  "
                f"{self._component_distribution!r})")
