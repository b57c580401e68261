"""``gn.backends``: the switches PyTorch programs set for their compute libraries.

glassnet computes with NumPy (BLAS) or CuPy, never with cuDNN or Apple's MPS; these
modules answer truthfully (``mps.is_available()`` is False) and accept the usual
settings (``gn.backends.cudnn.benchmark = True``), which change nothing here.
"""

from glassnet.backends import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
