"""Layers that move pixels rather than weigh them: PixelShuffle / PixelUnshuffle,
Upsample (and its two fixed-mode forms) and the padding layers, each a thin Module over
its functional form in :mod:`glassnet.nn._functional_resample` (no parameters)."""

from glassnet._errors import GlassnetValueError, ShapeError
from glassnet.nn import _functional_resample as FR
from glassnet.nn._module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "PixelShuffle", "PixelUnshuffle", "ReflectionPad1d", "ReflectionPad2d",
           "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "Upsample",
           "UpsamplingBilinear2d", "UpsamplingNearest2d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


class PixelShuffle(Module):
    """(*, C·r², H, W) → (*, C, H·r, W·r): ``y[c, h·r + i, w·r + j] = x[c·r² + i·r + j, h, w]``
    (sub-pixel convolution's upsampling; r = ``upscale_factor``)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = int(upscale_factor)

    def forward(self, input):
        return FR.pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H·r, W·r) → (*, C·r², H, W), the inverse of :class:`PixelShuffle`."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = int(downscale_factor)

    def forward(self, input):
        return FR.pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class Upsample(Module):
    """Resize (N, C, *spatial) to ``size`` or by ``scale_factor`` with ``mode`` 'nearest',
    'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear' or 'area' — see
    :func:`glassnet.nn.functional.interpolate` for the formulas."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input):
        return FR.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                              self.recompute_scale_factor)

    def extra_repr(self):
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """:class:`Upsample` with ``mode='nearest'`` on (N, C, H, W)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """:class:`Upsample` with ``mode='bilinear', align_corners=True`` on (N, C, H, W)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class _PadNd(Module):
    _d = 0
    _mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int):
            padding = (padding,) * (2 * self._d)
        padding = tuple(int(p) for p in padding)
        if len(padding) != 2 * self._d:
            sides = ("left, right", ", top, bottom", ", front, back")[:self._d]
            raise GlassnetValueError(f"{type(self).__name__}: padding must be an int or {2 * self._d} ints "
                                     f"({''.join(sides)}), got {padding}")
        self.padding, self.value = padding, value

    def forward(self, input):
        if input.ndim not in (self._d + 1, self._d + 2):
            raise ShapeError(f"{type(self).__name__}: expected input with {self._d + 1} or "
                             f"{self._d + 2} axes ((C, *spatial) or (N, C, *spatial)), got "
                             f"{tuple(input.shape)}")
        value = self.value if self._mode == "constant" else None
        return FR.pad(input, self.padding, self._mode, value)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self._mode == "constant" else "")


def _pad_class(name, d, mode, doc):
    return type(name, (_PadNd,), {"_d": d, "_mode": mode, "__doc__": doc, "__module__": __name__})


ReflectionPad1d = _pad_class("ReflectionPad1d", 1, "reflect", "Pad the last axis by reflection "
                             "(``x[−i] = x[i]``, the edge not repeated); padding (left, right) or an int.")
ReflectionPad2d = _pad_class("ReflectionPad2d", 2, "reflect", "Pad the last two axes by reflection "
                             "(``x[−i] = x[i]``); padding (left, right, top, bottom) or an int.")
ReplicationPad1d = _pad_class("ReplicationPad1d", 1, "replicate", "Pad the last axis by repeating its "
                              "edge values; padding (left, right) or an int.")
ReplicationPad2d = _pad_class("ReplicationPad2d", 2, "replicate", "Pad the last two axes by repeating "
                              "their edge values; padding (left, right, top, bottom) or an int.")
CircularPad1d = _pad_class("CircularPad1d", 1, "circular", "Pad the last axis by wrapping around; "
                           "padding (left, right) or an int.")
CircularPad2d = _pad_class("CircularPad2d", 2, "circular", "Pad the last two axes by wrapping around; "
                           "padding (left, right, top, bottom) or an int.")
_SIX = "padding (left, right, top, bottom, front, back) or an int."
ReflectionPad3d = _pad_class("ReflectionPad3d", 3, "reflect", f"Pad the last three axes by reflection; "
                             f"{_SIX}")
ReplicationPad3d = _pad_class("ReplicationPad3d", 3, "replicate", "Pad the last three axes by repeating "
                              f"their edge values; {_SIX}")
CircularPad3d = _pad_class("CircularPad3d", 3, "circular", "Pad the last three axes by wrapping around; "
                           f"{_SIX}")


class ConstantPad1d(_PadNd):
    """Pad the last axis with ``value``; padding (left, right) or an int."""

    _d = 1

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last two axes with ``value``; padding (left, right, top, bottom) or an int."""

    _d = 2

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad1d(_PadNd):
    """Pad the last axis with zeros; padding (left, right) or an int."""

    _d = 1

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ZeroPad2d(_PadNd):
    """Pad the last two axes with zeros; padding (left, right, top, bottom) or an int."""

    _d = 2

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad3d(_PadNd):
    """Pad the last three axes with ``value``; padding (left, right, top, bottom, front, back)
    or an int."""

    _d = 3

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad3d(_PadNd):
    """Pad the last three axes with zeros; padding (left, right, top, bottom, front, back) or an int."""

    _d = 3

    def __init__(self, padding):
        super().__init__(padding, 0.0)
