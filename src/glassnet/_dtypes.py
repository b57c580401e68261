"""dtypes under PyTorch's names. A glassnet dtype *is* a ``numpy.dtype``: ``gn.float`` is
``gn.float32``, and ``t.dtype == gn.long`` compares as in PyTorch.

=====================  ===============  ========================
PyTorch name           glassnet         NumPy
=====================  ===============  ========================
float32, float         gn.float32       float32 (the default)
float64, double        gn.float64       float64
float16, half          gn.float16       float16
int64, long            gn.int64         int64
int32, int             gn.int32         int32
int16, short           gn.int16         int16
int8, uint8            gn.int8, uint8   int8, uint8
bool                   gn.bool          bool
complex64, cfloat      gn.complex64     complex64 (values only)
complex128, cdouble    gn.complex128    complex128 (values only)
=====================  ===============  ========================

Complex tensors hold the results of ``gn.fft`` and go through the elementwise ops, but
never carry gradients (``requires_grad`` refuses them). bfloat16, complex32 and the
float8/quantised dtypes have no NumPy counterpart glassnet computes with: their names exist
(``gn.bfloat16``, so that a program's table of dtypes still builds), and using one — to make
or convert a tensor — raises an error that says so (see ``UNSUPPORTED``).
"""

import numpy as np

from glassnet._backend import get_default_dtype
from glassnet._errors import GlassnetTypeError

__all__ = ["DTYPES", "UNSUPPORTED", "UNSUPPORTED_DTYPES", "UnsupportedDType",
           "finfo", "iinfo", "is_complex", "is_floating_point", "legacy_type_name",
           "dtype_named"]

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)  # noqa: A001  (PyTorch's names)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)  # noqa: A001
int64 = long = np.dtype(np.int64)
bool = bool_ = np.dtype(np.bool_)  # noqa: A001
complex64 = cfloat = np.dtype(np.complex64)
complex128 = cdouble = np.dtype(np.complex128)

DTYPES = {"float16": float16, "half": half, "float32": float32, "float": float, "float64": float64,
          "double": double, "int8": int8, "uint8": uint8, "int16": int16, "short": short, "int32": int32,
          "int": int, "int64": int64, "long": long, "bool": bool, "bool_": bool_,
          "complex64": complex64, "cfloat": cfloat, "complex128": complex128, "cdouble": cdouble}

UNSUPPORTED = {
    name: f"gn.{name}: glassnet computes with NumPy dtypes and NumPy has no {name}; use gn.float32 "
          "(or gn.float64)"
    for name in ("bfloat16", "complex32", "chalf",
                 "float8_e4m3fn", "float8_e5m2", "qint8", "quint8", "qint32")
}



class UnsupportedDType:
    """A PyTorch dtype NumPy lacks (``gn.bfloat16``): a name that compares and hashes, and
    raises when used as a dtype (NumPy reads ``.dtype``, which raises the message)."""

    def __init__(self, name):
        self.name = name

    @property
    def dtype(self):
        raise GlassnetTypeError(UNSUPPORTED[self.name])

    @property
    def is_floating_point(self):
        return self.name.startswith(("bfloat", "float8"))

    @property
    def is_complex(self):
        return self.name in ("complex32", "chalf")

    def __repr__(self):
        return f"glassnet.{self.name}"


UNSUPPORTED_DTYPES = {name: UnsupportedDType(name) for name in UNSUPPORTED}

# PyTorch's legacy tensor type names (``t.type()``), by dtype
_LEGACY = {float32: "FloatTensor", float64: "DoubleTensor", float16: "HalfTensor", int64: "LongTensor",
           int32: "IntTensor", int16: "ShortTensor", int8: "CharTensor", uint8: "ByteTensor",
           bool_: "BoolTensor"}


def legacy_type_name(dtype):
    """PyTorch's string for a CPU tensor of ``dtype``: ``float32`` → ``'torch.FloatTensor'``."""
    return f"torch.{_LEGACY[np.dtype(dtype)]}"


def dtype_named(name):
    """The dtype a legacy type string names: ``'torch.FloatTensor'`` (or ``'FloatTensor'``,
    ``'glassnet.FloatTensor'``) → float32."""
    short = name.rsplit(".", 1)[-1]
    for dtype, legacy in _LEGACY.items():
        if legacy == short:
            return dtype
    raise GlassnetTypeError(f"type: {name!r} names no tensor type; use a dtype (gn.float32) or one of "
                            f"{sorted(_LEGACY.values())}")


def is_complex(tensor):
    """True if ``tensor`` holds complex numbers."""
    return tensor.dtype.kind == "c"


def is_floating_point(tensor):
    """True if ``tensor`` holds floating-point numbers."""
    return tensor.dtype.kind == "f"


def finfo(dtype=None):
    """Machine limits of a floating dtype (``.eps``, ``.max``, ``.tiny``); the default dtype when None."""
    return np.finfo(get_default_dtype() if dtype is None else dtype)


def iinfo(dtype):
    """Machine limits of an integer dtype (``.min``, ``.max``, ``.bits``)."""
    return np.iinfo(dtype)
