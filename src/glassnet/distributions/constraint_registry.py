"""From a constraint to a transform of unconstrained numbers into it (PyTorch's
``torch.distributions.constraint_registry``): optimise u ∈ ℝⁿ freely and use
``biject_to(d.support)(u)`` (or ``transform_to``) as the constrained value.

``biject_to(c)`` is a bijection ℝⁿ → c with a log|det J| (for densities);
``transform_to(c)`` any map onto c (it may skip the Jacobian: the simplex uses softmax).
A registry keys on the constraint's type; ``register(constraint_type, factory)`` adds one.

=========================================  ===============================================
constraint                                  transform
=========================================  ===============================================
real                                        identity_transform (ComposeTransform([]))
independent(c, n)                           IndependentTransform(biject_to(c), n)
positive, nonnegative, greater_than(a)      ComposeTransform([Exp, Affine(a, 1)])
less_than(b)                                ComposeTransform([Exp, Affine(b, −1)])
unit_interval                               SigmoidTransform
interval(a, b), half_open_interval(a, b)    ComposeTransform([Sigmoid, Affine(a, b − a)])
simplex                                     StickBreaking (biject_to), Softmax (transform_to)
corr_cholesky                               CorrCholeskyTransform
cat(cs, dim, lengths), stack(cs, dim)       CatTransform / StackTransform of each part's
lower_cholesky, positive_definite           LowerCholesky, PositiveDefinite (transform_to only)
=========================================  ===============================================
"""

import numbers

from glassnet._errors import GlassnetTypeError
from glassnet.distributions import constraints
from glassnet.distributions._transforms import AffineTransform, ExpTransform, SigmoidTransform
from glassnet.distributions._transforms_cat import CatTransform, StackTransform
from glassnet.distributions._transforms_event import (
    ComposeTransform,
    IndependentTransform,
    SoftmaxTransform,
    StickBreakingTransform,
    identity_transform,
)
from glassnet.distributions._transforms_matrix import (
    CorrCholeskyTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
)

__all__ = ["ConstraintRegistry", "biject_to", "transform_to"]


class ConstraintRegistry:
    """constraint type → factory(constraint) → Transform."""

    def __init__(self):
        self._registry = {}

    def register(self, constraint, factory=None):
        """``register(c, f)``, or ``@register(c)`` over f; ``c`` a constraint or its type."""
        if factory is None:
            return lambda f: self.register(constraint, f)
        key = constraint if isinstance(constraint, type) else type(constraint)
        if not issubclass(key, constraints.Constraint):
            raise GlassnetTypeError("ConstraintRegistry.register: expected a Constraint or its type, "
                                    f"got {constraint!r}")
        self._registry[key] = factory
        return factory

    def __call__(self, constraint):
        factory = self._registry.get(type(constraint))
        if factory is None:
            raise NotImplementedError(f"Cannot transform {type(constraint).__name__} constraints")
        return factory(constraint)


biject_to = ConstraintRegistry()
transform_to = ConstraintRegistry()


def _both(constraint_type, factory):
    biject_to.register(constraint_type, factory)
    transform_to.register(constraint_type, factory)


def _independent(registry):
    return lambda c: IndependentTransform(registry(c.base_constraint), c.reinterpreted_batch_ndims)


def _interval(c):
    lower, upper = c.lower_bound, c.upper_bound
    if isinstance(lower, numbers.Number) and isinstance(upper, numbers.Number) and lower == 0 and upper == 1:
        return SigmoidTransform()
    return ComposeTransform([SigmoidTransform(), AffineTransform(lower, upper - lower)])


_both(type(constraints.real), lambda c: identity_transform)
biject_to.register(constraints.independent, _independent(biject_to))
transform_to.register(constraints.independent, _independent(transform_to))
for _type in (constraints.greater_than, constraints.greater_than_eq):
    _both(_type, lambda c: ComposeTransform([ExpTransform(), AffineTransform(c.lower_bound, 1)]))
_both(constraints.less_than, lambda c: ComposeTransform([ExpTransform(), AffineTransform(c.upper_bound, -1)]))
for _type in (constraints.interval, constraints.half_open_interval):
    _both(_type, _interval)
biject_to.register(type(constraints.simplex), lambda c: StickBreakingTransform())
transform_to.register(type(constraints.simplex), lambda c: SoftmaxTransform())
_both(type(constraints.corr_cholesky), lambda c: CorrCholeskyTransform())
for _registry in (biject_to, transform_to):
    _registry.register(constraints.cat,
                       lambda c, r=_registry: CatTransform([r(p) for p in c.cseq], c.dim, c.lengths))
    _registry.register(constraints.stack,
                       lambda c, r=_registry: StackTransform([r(p) for p in c.cseq], c.dim))
transform_to.register(type(constraints.lower_cholesky), lambda c: LowerCholeskyTransform())
transform_to.register(type(constraints.positive_definite), lambda c: PositiveDefiniteTransform())
