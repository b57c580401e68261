"""CatTransform and StackTransform (PyTorch's): a different transform on each block (cat) or
slice (stack) of one dimension — ``biject_to(constraints.cat(...))`` builds them."""

import numpy as np

from glassnet._errors import GlassnetValueError
from glassnet.distributions import constraints
from glassnet.distributions._independent import sum_rightmost
from glassnet.distributions._transforms import Transform
from glassnet.ops import cat, stack

__all__ = ["CatTransform", "StackTransform"]


def _checked(tseq, name):
    tseq = list(tseq)
    if not tseq or not all(isinstance(t, Transform) for t in tseq):
        raise GlassnetValueError(f"{name}: needs a non-empty list of Transforms, got {tseq!r}")
    return tseq


class CatTransform(Transform):
    """y = cat(t_i(x_i)) along ``dim``, x_i the i-th block of ``lengths[i]`` (default 1) entries;
    log|det J| the blocks' (summed to the common event dimensions), concatenated along ``dim``
    when it is a batch dimension, else added."""

    def __init__(self, tseq, dim=0, lengths=None, cache_size=0):
        super().__init__(cache_size)
        self.transforms = [t.with_cache(cache_size) for t in _checked(tseq, "CatTransform")]
        self.lengths = [1] * len(self.transforms) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.transforms):
            raise GlassnetValueError(f"CatTransform: {len(self.transforms)} transforms but "
                                     f"{len(self.lengths)} lengths")
        self.dim = dim

    @property
    def event_dim(self):
        return max(t.event_dim for t in self.transforms)

    @property
    def domain(self):
        return constraints.cat([t.domain for t in self.transforms], self.dim, self.lengths)

    @property
    def codomain(self):
        return constraints.cat([t.codomain for t in self.transforms], self.dim, self.lengths)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def inv(self):
        return CatTransform([t.inv for t in self.transforms], self.dim, self.lengths)

    def with_cache(self, cache_size=1):
        return self if cache_size == self._cache_size else \
            CatTransform(self.transforms, self.dim, self.lengths, cache_size)

    def _blocks(self, z):
        if z.shape[self.dim] != sum(self.lengths):
            raise GlassnetValueError(f"CatTransform: dimension {self.dim} has size {z.shape[self.dim]}, "
                                     f"the lengths {self.lengths} sum to {sum(self.lengths)}")
        starts = np.cumsum([0] + self.lengths[:-1])
        return [z.narrow(self.dim, int(s), n) for s, n in zip(starts, self.lengths, strict=True)]

    def _call(self, x):
        return cat([t(b) for t, b in zip(self.transforms, self._blocks(x), strict=True)], self.dim)

    def _inverse(self, y):
        return cat([t.inv(b) for t, b in zip(self.transforms, self._blocks(y), strict=True)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        event_dim = self.event_dim
        terms = [sum_rightmost(t.log_abs_det_jacobian(xb, yb), event_dim - t.event_dim)
                 for t, xb, yb in zip(self.transforms, self._blocks(x), self._blocks(y), strict=True)]
        dim = (self.dim - x.ndim if self.dim >= 0 else self.dim) + event_dim
        if dim < 0:
            return cat(terms, dim)
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def __repr__(self):
        return f"CatTransform({self.transforms!r}, dim={self.dim}, lengths={self.lengths})"


class StackTransform(Transform):
    """y = stack(t_i(x.select(dim, i))) along ``dim``;  log|det J| the slices', stacked along ``dim``."""

    def __init__(self, tseq, dim=0, cache_size=0):
        super().__init__(cache_size)
        self.transforms = [t.with_cache(cache_size) for t in _checked(tseq, "StackTransform")]
        self.dim = dim

    @property
    def domain(self):
        return constraints.stack([t.domain for t in self.transforms], self.dim)

    @property
    def codomain(self):
        return constraints.stack([t.codomain for t in self.transforms], self.dim)

    @property
    def bijective(self):
        return all(t.bijective for t in self.transforms)

    @property
    def inv(self):
        return StackTransform([t.inv for t in self.transforms], self.dim)

    def with_cache(self, cache_size=1):
        if cache_size == self._cache_size:
            return self
        return StackTransform(self.transforms, self.dim, cache_size)

    def _slices(self, z):
        if z.shape[self.dim] != len(self.transforms):
            raise GlassnetValueError(f"StackTransform: dimension {self.dim} has size {z.shape[self.dim]}, "
                                     f"expected one slice per transform ({len(self.transforms)})")
        return [z.select(self.dim, i) for i in range(len(self.transforms))]

    def _call(self, x):
        return stack([t(s) for t, s in zip(self.transforms, self._slices(x), strict=True)], self.dim)

    def _inverse(self, y):
        return stack([t.inv(s) for t, s in zip(self.transforms, self._slices(y), strict=True)], self.dim)

    def log_abs_det_jacobian(self, x, y):
        return stack([t.log_abs_det_jacobian(xs, ys) for t, xs, ys in
                      zip(self.transforms, self._slices(x), self._slices(y), strict=True)], self.dim)

    def __repr__(self):
        return f"StackTransform({self.transforms!r}, dim={self.dim})"
