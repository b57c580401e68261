"""The fast tier: kernels registered per primitive, each equal to the primitive's reference.

The primitives in :mod:`glassnet.ops` are written to be read against their formulas.
Everything that makes them fast — im2col layouts and scratch buffers, specialised
pooling, fused recurrent scans in their own gate layouts — lives here, as a
:class:`Kernel` registered for a primitive with a statement of when it applies.
``gn.kernels.use("reference")`` runs the reference tier only; a test holds every kernel
equal to its reference.
"""

from glassnet.kernels import _activation, _conv, _pool, _recurrent  # noqa: F401  (registers)
from glassnet.kernels._memory import empty_cache, memory_stats
from glassnet.kernels._registry import Kernel, register, registered, tier, use

__all__ = ["Kernel", "empty_cache", "memory_stats", "register", "registered", "tier", "use"]
