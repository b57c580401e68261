"""The array backend, public: which namespace computes, dtypes, the seeded RNG, and the
explicit opt-ins that change the host process.

>>> import glassnet as gn
>>> gn.backend.host_allocator()["tuned"]   # never tuned by importing glassnet
False
"""

from glassnet._allocator import host_allocator, tune_host_allocator
from glassnet._backend import (
    default_generator,
    device_of,
    get_default_dtype,
    manual_seed,
    namespace,
    set_default_dtype,
    to_numpy,
)

__all__ = ["default_generator", "device_of", "get_default_dtype", "host_allocator", "manual_seed",
           "namespace", "set_default_dtype", "to_numpy", "tune_host_allocator"]
