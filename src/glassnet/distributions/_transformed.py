"""TransformedDistribution (a base distribution pushed through transforms) and LogNormal,
the exponential of a Normal."""


from glassnet._errors import GlassnetValueError
from glassnet.autograd._mode import no_grad
from glassnet.distributions import constraints
from glassnet.distributions._distribution import Distribution
from glassnet.distributions._independent import Independent, sum_rightmost
from glassnet.distributions._normal import Normal
from glassnet.distributions._transforms import ExpTransform, Transform
from glassnet.distributions._transforms_event import ComposeTransform
from glassnet.ops import exp, expm1

__all__ = ["LogNormal", "TransformedDistribution"]


class TransformedDistribution(Distribution):
    """y = f_K(… f_1(x)), x ~ ``base_distribution``; ``transforms`` a Transform or a list.

    log p(y) = log p_base(x) − Σ_k log|det ∂f_k/∂x_{k−1}|, x = f⁻¹(y)
    cdf(y) = cdf_base(f⁻¹(y)) (1 − that where f decreases);  icdf its inverse
    """

    arg_constraints = {}

    def __init__(self, base_distribution, transforms, validate_args=None):
        if isinstance(transforms, Transform):
            transforms = [transforms]
        elif not (isinstance(transforms, list) and all(isinstance(t, Transform) for t in transforms)):
            raise ValueError(f"transforms must be a Transform or a list of Transforms, but was {transforms}")
        self.transforms = transforms
        chain = ComposeTransform(transforms)
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        if len(base_shape) < chain.domain.event_dim:
            raise GlassnetValueError(f"TransformedDistribution: base_distribution needs at least "
                                     f"{chain.domain.event_dim} dimensions, got shape {base_shape}")
        shape = tuple(chain.forward_shape(base_shape))
        expanded = tuple(chain.inverse_shape(shape))
        if expanded != base_shape:
            cut_base = len(expanded) - len(base_distribution.event_shape)
            base_distribution = base_distribution.expand(expanded[:cut_base])
        extra = chain.domain.event_dim - len(base_distribution.event_shape)
        if extra > 0:
            base_distribution = Independent(base_distribution, extra)
        self.base_dist = base_distribution
        base_event = len(base_distribution.event_shape)
        event_dim = chain.codomain.event_dim + max(base_event - chain.domain.event_dim, 0)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args=validate_args)

    def _expanded_params(self, batch_shape):
        shape = tuple(batch_shape) + tuple(self._event_shape)
        shape = tuple(ComposeTransform(self.transforms).inverse_shape(shape))
        base_batch = shape[:len(shape) - len(self.base_dist.event_shape)]
        return {"base_dist": self.base_dist.expand(base_batch), "transforms": self.transforms}

    @property
    def has_rsample(self):
        return self.base_dist.has_rsample

    @property
    def support(self):
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self._event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    def sample(self, sample_shape=()):
        with no_grad():
            x = self.base_dist.sample(sample_shape)
            for t in self.transforms:
                x = t(x)
            return x

    def rsample(self, sample_shape=()):
        x = self.base_dist.rsample(sample_shape)
        for t in self.transforms:
            x = t(x)
        return x

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        event_dim, log_prob, y = len(self._event_shape), 0.0, value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            y = x
        base_dims = event_dim - len(self.base_dist.event_shape)
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), base_dims)

    def _monotonize_cdf(self, value):
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if isinstance(sign, int) and sign == 1:
            return value
        return sign * (value - 0.5) + 0.5

    def cdf(self, value):
        for t in reversed(self.transforms):
            value = t.inv(value)
        if self._validate_args:
            self.base_dist._validate_sample(value)
        return self._monotonize_cdf(self.base_dist.cdf(value))

    def icdf(self, value):
        value = self.base_dist.icdf(self._monotonize_cdf(value))
        for t in self.transforms:
            value = t(value)
        return value

    def __repr__(self):
        return f"{type(self).__name__}()"


class LogNormal(TransformedDistribution):
    """y = eˣ, x ~ N(μ, σ²) (``loc`` μ, ``scale`` σ of the underlying normal).

    log p(y) = log N(log y; μ, σ) − log y;  mean e^{μ + σ²/2};  mode e^{μ − σ²}
    variance (e^{σ²} − 1)·e^{2μ + σ²};  H = H(N(μ, σ)) + μ
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(Normal(loc, scale, validate_args=validate_args), ExpTransform(),
                         validate_args=validate_args)

    @property
    def loc(self):
        return self.base_dist.loc

    @property
    def scale(self):
        return self.base_dist.scale

    @property
    def mean(self):
        return exp(self.loc + self.scale.pow(2) / 2)

    @property
    def mode(self):
        return exp(self.loc - self.scale.square())

    @property
    def variance(self):
        scale_sq = self.scale.pow(2)
        return expm1(scale_sq) * exp(2 * self.loc + scale_sq)

    def entropy(self):
        return self.base_dist.entropy() + self.loc

    def __repr__(self):
        return f"LogNormal(loc: {self.loc if self.loc.numel() == 1 else self.loc.size()}, " \
               f"scale: {self.scale if self.scale.numel() == 1 else self.scale.size()})"


