"""Module-registry entries for LayerNorm, GroupNorm and RMSNorm.

Their affine parameters start at ones and zeros; the entries set them to random numbers
first (the same in both frameworks: the PyTorch module loads the glassnet state dict),
so that a wrong broadcast of γ or β cannot hide behind γ = 1, β = 0.
"""

import numpy as np

import glassnet.nn as nn

__all__ = ["norm_specs"]


def _randomised(build):
    def make():
        module = build()
        rng = np.random.default_rng(5)
        for p in module.parameters():
            p.data[...] = rng.uniform(0.5, 1.5, p.shape) if p.data.ndim else 1.0
        return module

    return make


def norm_specs(spec):
    """ModuleSpec entries (``spec`` is the registry's dataclass)."""
    return [
        spec("LayerNorm", _randomised(lambda: nn.LayerNorm(5)), (5,),
             lambda t: t.nn.LayerNorm(5)),
        spec("LayerNorm-2d-shape", _randomised(lambda: nn.LayerNorm((3, 4), eps=1e-3)), (2, 3, 4),
             lambda t: t.nn.LayerNorm((3, 4), eps=1e-3)),
        spec("LayerNorm-nobias", _randomised(lambda: nn.LayerNorm(4, bias=False)), (2, 4),
             lambda t: t.nn.LayerNorm(4, bias=False)),
        spec("LayerNorm-noaffine", lambda: nn.LayerNorm(4, elementwise_affine=False), (4,),
             lambda t: t.nn.LayerNorm(4, elementwise_affine=False)),
        spec("GroupNorm", _randomised(lambda: nn.GroupNorm(2, 6)), (6, 4),
             lambda t: t.nn.GroupNorm(2, 6)),
        spec("GroupNorm-2d-instance", _randomised(lambda: nn.GroupNorm(3, 3, eps=1e-3)), (3, 2, 3),
             lambda t: t.nn.GroupNorm(3, 3, eps=1e-3)),
        spec("GroupNorm-nobias", _randomised(lambda: nn.GroupNorm(2, 4, bias=False)), (4, 3),
             lambda t: t.nn.GroupNorm(2, 4, bias=False)),
        spec("GroupNorm-one-group-noaffine", lambda: nn.GroupNorm(1, 4, affine=False), (4, 3),
             lambda t: t.nn.GroupNorm(1, 4, affine=False)),
        spec("RMSNorm", _randomised(lambda: nn.RMSNorm(4)), (4,), lambda t: t.nn.RMSNorm(4)),
        spec("RMSNorm-2d-eps", _randomised(lambda: nn.RMSNorm((2, 3), eps=1e-4)), (5, 2, 3),
             lambda t: t.nn.RMSNorm((2, 3), eps=1e-4)),
        spec("RMSNorm-noaffine", lambda: nn.RMSNorm(3, elementwise_affine=False), (3,),
             lambda t: t.nn.RMSNorm(3, elementwise_affine=False)),
    ]


# -- functional forms for the op registry (composed of primitives; NumPy references) -------

def _np_standardise(x, axes, eps):
    centred = x - x.mean(axis=axes, keepdims=True)
    return centred / np.sqrt((centred**2).mean(axis=axes, keepdims=True) + eps)


def _np_layer_norm(x, w, b):
    axes = tuple(range(-w.ndim, 0))
    return _np_standardise(x, axes, 1e-5) * w + b


def _np_group_norm(x, w, b, groups=2):
    grouped = x.reshape(x.shape[0], groups, -1)
    y = _np_standardise(grouped, (-1,), 1e-5).reshape(x.shape)
    per_channel = (x.shape[1],) + (1,) * (x.ndim - 2)
    return y * w.reshape(per_channel) + b.reshape(per_channel)


def _np_rms_norm(x, w):
    axes = tuple(range(-w.ndim, 0))
    return x / np.sqrt((x**2).mean(axis=axes, keepdims=True) + 1e-6) * w


def norm_ops(spec, torch_functional):
    """OpSpec entries (``spec`` is the registry's OpSpec, ``torch_functional()`` gives
    ``torch.nn.functional``) for F.layer_norm, F.group_norm and F.rms_norm. They are
    layer and group norm run the LayerNorm primitive (with and without γ, β); RMS norm is a
composition that ``covers`` sqrt."""
    import glassnet.nn.functional as F

    def tf():
        return torch_functional()

    return [
        spec("layer_norm", lambda x, w, b: F.layer_norm(x, tuple(w.shape), w, b), _np_layer_norm,
             lambda x, w, b: tf().layer_norm(x, tuple(w.shape), w, b), "LayerNorm", 3, "smooth",
             shapes=(((2, 3), (3,), (3,)), ((2, 2, 3), (2, 3), (2, 3))),
             large=((5, 4), (4,), (4,))),
        spec("layer_norm_no_affine", lambda x: F.layer_norm(x, x.shape[-1:]),
             lambda x: _np_standardise(x, (-1,), 1e-5),
             lambda x: tf().layer_norm(x, x.shape[-1:]), "LayerNorm", 1, "smooth",
             shapes=(((2, 3),), ((2, 1, 4),)), large=((6, 5),)),
        spec("layer_norm_weight_only", lambda x, w: F.layer_norm(x, tuple(w.shape), w),
             lambda x, w: _np_standardise(x, tuple(range(-w.ndim, 0)), 1e-5) * w,
             lambda x, w: tf().layer_norm(x, tuple(w.shape), w), "LayerNorm", 2, "smooth",
             shapes=(((3, 2, 3), (2, 3)),), large=((5, 4), (4,))),
        spec("layer_norm_bias_only", lambda x, b: F.layer_norm(x, tuple(b.shape), None, b),
             lambda x, b: _np_standardise(x, tuple(range(-b.ndim, 0)), 1e-5) + b,
             lambda x, b: tf().layer_norm(x, tuple(b.shape), None, b), "LayerNorm", 2, "smooth",
             shapes=(((2, 3), (3,)),), large=((5, 4), (4,))),
        spec("group_norm", lambda x, w, b: F.group_norm(x, 2, w, b), _np_group_norm,
             lambda x, w, b: tf().group_norm(x, 2, w, b), "LayerNorm", 3, "smooth",
             shapes=(((2, 4, 3), (4,), (4,)), ((3, 4), (4,), (4,))),
             large=((3, 6, 5), (6,), (6,))),
        spec("rms_norm", lambda x, w: F.rms_norm(x, tuple(w.shape), w, eps=1e-6), _np_rms_norm,
             lambda x, w: tf().rms_norm(x, tuple(w.shape), w, eps=1e-6), "sqrt", 2, "smooth",
             shapes=(((2, 3), (3,)), ((1, 2, 3), (2, 3))), large=((5, 4), (4,))),
    ]
