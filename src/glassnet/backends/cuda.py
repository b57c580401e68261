"""CUDA math settings (``gn.backends.cuda.matmul.allow_tf32 = False``). glassnet's GPU
matrix products are CuPy's float32/float64 GEMMs; the flags are accepted and change nothing."""

from glassnet import cuda as _cuda

__all__ = ["is_built", "matmul"]


class _MatmulSettings:
    """``matmul.allow_tf32`` and friends: recorded, not acted on."""

    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = False
    allow_bf16_reduced_precision_reduction = False


matmul = _MatmulSettings()


def is_built():
    """True when glassnet can reach a GPU (CuPy installed and a device present)."""
    return _cuda.is_available()
