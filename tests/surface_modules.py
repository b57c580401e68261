"""Module-registry entries for PyTorch's less common layers (issue #16's audit): Bilinear,
LazyLinear, EmbeddingBag, RReLU, Unfold / Fold, AdaptiveAvgPool1d/3d, AdaptiveMaxPool1d/2d/3d,
MaxUnpool1d/2d.

The contract suite feeds one float batch to a one-input module, so layers that take other
arguments are wrapped — each wrapper a subclass of the layer (glassnet's and torch's alike),
so that the state-dict keys are PyTorch's: Bilinear gets a second input made from the
first; EmbeddingBag looks up fixed bags (offsets, repeats, a padding index) and scales
them by the input; MaxUnpool undoes a max pool of the input (its indices from
``return_indices=True``). RReLU uses lower = upper, so that training draws are the one
slope and the module is deterministic (its randomness: test_nn_surface.py).
"""

import numpy as np

import glassnet as gn
import glassnet.nn as nn

__all__ = ["surface_specs"]

_BAG_INDICES = np.array([1, 2, 0, 3, 3, 1, 4])
_BAG_OFFSETS = np.array([0, 2, 5])  # bags [1, 2], [0, 3, 3], [1, 4] (two bags for a batch of 2)


def _second_input(base):
    class WithSecondInput(base):
        def forward(self, x):
            return super().forward(x, x[..., :3] * 0.5 + 1.0)

    return WithSecondInput


def _bags_scaled(base, to_index):
    class BagsScaled(base):
        def forward(self, x):
            return super().forward(to_index(_BAG_INDICES), to_index(_BAG_OFFSETS[: x.shape[0]])) * x

    return BagsScaled


def _unpool_after_pool(base, max_pool):
    class UnpoolAfterPool(base):
        def forward(self, x):
            pooled, where = max_pool(x, 2, return_indices=True)
            return super().forward(pooled, where, output_size=x.shape[2:])

    return UnpoolAfterPool


def _lazy(module_class, ones, sample=(4,), *args):
    """A lazy module (``module_class(3, *args)``) after a first call on a batch of one
    ``sample``: materialised, it has become its eager class."""
    module = module_class(*((3,) if module_class.__name__.startswith("LazyConv") or
                            module_class.__name__ == "LazyLinear" else ()), *args)
    module(ones(1, *sample))
    return module


def _lazy_specs(spec):
    """One line per lazy conv / norm class: built lazily, materialised by a first call, then
    compared as the eager layer it became."""
    cases = [(f"LazyConv{d}d", (2, *(5,) * d), (2,)) for d in (1, 2, 3)]
    cases += [(f"LazyConvTranspose{d}d", (2, *(4,) * d), (2,)) for d in (1, 2, 3)]
    cases += [(f"Lazy{norm}{d}d", (3, *(4,) * d), ())
              for norm in ("BatchNorm", "InstanceNorm") for d in (1, 2, 3)]
    return [spec(f"{name}-after-first-call",
                 (lambda name=name, shape=shape, args=args: _lazy(getattr(nn, name), gn.ones, shape, *args)),
                 shape,
                 (lambda t, name=name, shape=shape, args=args:
                  _lazy(getattr(t.nn, name), t.ones, shape, *args)))
            for name, shape, args in cases]


def surface_specs(spec):
    """ModuleSpec entries (``spec`` is the registry's dataclass)."""
    return _lazy_specs(spec) + [
        spec("Bilinear", lambda: _second_input(nn.Bilinear)(4, 3, 2), (4,),
             lambda t: _second_input(t.nn.Bilinear)(4, 3, 2)),
        spec("Bilinear-nobias-3d", lambda: _second_input(nn.Bilinear)(4, 3, 5, bias=False), (2, 4),
             lambda t: _second_input(t.nn.Bilinear)(4, 3, 5, bias=False)),
        spec("LazyLinear-after-first-call", lambda: _lazy(nn.LazyLinear, gn.ones), (4,),
             lambda t: _lazy(t.nn.LazyLinear, t.ones)),
        spec("EmbeddingBag-mean", lambda: _bags_scaled(nn.EmbeddingBag, gn.tensor)(5, 3), (3,),
             lambda t: _bags_scaled(t.nn.EmbeddingBag, t.tensor)(5, 3)),
        spec("EmbeddingBag-sum-padding",
             lambda: _bags_scaled(nn.EmbeddingBag, gn.tensor)(5, 3, mode="sum", padding_idx=3), (3,),
             lambda t: _bags_scaled(t.nn.EmbeddingBag, t.tensor)(5, 3, mode="sum", padding_idx=3)),
        spec("EmbeddingBag-max", lambda: _bags_scaled(nn.EmbeddingBag, gn.tensor)(5, 3, mode="max"), (3,),
             lambda t: _bags_scaled(t.nn.EmbeddingBag, t.tensor)(5, 3, mode="max")),
        spec("RReLU-one-slope", lambda: nn.RReLU(0.2, 0.2), (5,), lambda t: t.nn.RReLU(0.2, 0.2)),
        spec("Unfold", lambda: nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), (2, 5, 6),
             lambda t: t.nn.Unfold((2, 3), dilation=(2, 1), padding=1, stride=(1, 2))),
        spec("Fold", lambda: nn.Fold((4, 5), 2), (8, 12), lambda t: t.nn.Fold((4, 5), 2)),
        spec("Fold-stride-padding", lambda: nn.Fold((5, 4), (3, 2), padding=1, stride=2), (12, 9),
             lambda t: t.nn.Fold((5, 4), (3, 2), padding=1, stride=2)),
        spec("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), (2, 7),
             lambda t: t.nn.AdaptiveAvgPool1d(3)),
        spec("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(4), (2, 7),
             lambda t: t.nn.AdaptiveMaxPool1d(4)),
        spec("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((3, None)), (2, 5, 4),
             lambda t: t.nn.AdaptiveMaxPool2d((3, None))),
        spec("AdaptiveMaxPool2d-global", lambda: nn.AdaptiveMaxPool2d(1), (3, 4, 4),
             lambda t: t.nn.AdaptiveMaxPool2d(1)),
        spec("AdaptiveMaxPool3d", lambda: nn.AdaptiveMaxPool3d((2, 1, 3)), (3, 5, 2, 4),
             lambda t: t.nn.AdaptiveMaxPool3d((2, 1, 3))),
        spec("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d((3, None, 2)), (2, 5, 3, 5),
             lambda t: t.nn.AdaptiveAvgPool3d((3, None, 2))),
        spec("AdaptiveAvgPool3d-global", lambda: nn.AdaptiveAvgPool3d(1), (3, 4, 2, 3),
             lambda t: t.nn.AdaptiveAvgPool3d(1)),
        spec("MaxUnpool1d", lambda: _unpool_after_pool(nn.MaxUnpool1d, nn.functional.max_pool1d)(2), (2, 7),
             lambda t: _unpool_after_pool(t.nn.MaxUnpool1d, t.nn.functional.max_pool1d)(2)),
        spec("MaxUnpool2d", lambda: _unpool_after_pool(nn.MaxUnpool2d, nn.functional.max_pool2d)(2),
             (2, 5, 4),
             lambda t: _unpool_after_pool(t.nn.MaxUnpool2d, t.nn.functional.max_pool2d)(2)),
    ]
