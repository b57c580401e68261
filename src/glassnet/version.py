"""``torch.version`` for PyTorch programs that print or check it: glassnet's version, and
``cuda = None`` / ``hip = None`` — no CUDA or ROCm build is involved (a GPU is reached
through CuPy; ``gn.cuda.is_available()`` says whether one is)."""

from glassnet._version import __version__

__all__ = ["__version__", "cuda", "debug", "git_version", "hip"]

cuda = None
hip = None
debug = False
git_version = "unknown"
