"""Registry entries for the layers real PyTorch programs reached for (issue 16): transposed
convolution, pixel shuffle, interpolation, padding modes, instance norm, affine_grid /
grid_sample, distances and metric-learning losses, nn.Transformer.

All are compositions of primitives; ``resample_ops`` checks their forward against NumPy
written from the formula, their gradient against central differences in float64, and
both against PyTorch; ``resample_specs`` puts the modules through the Module contract.
"""

import numpy as np

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

__all__ = ["resample_ops", "resample_specs"]


# -- NumPy references ----------------------------------------------------------------------

def _np_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    """Scatter: each input pixel adds x·W onto a kernel-sized patch, patches ``stride`` apart."""
    n, _, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
    full = np.zeros((n, c_out, (h - 1) * sh + dh * (kh - 1) + 1 + oh, (wd - 1) * sw + dw * (kw - 1) + 1 + ow))
    for u in range(kh):
        for v in range(kw):
            full[:, :, u * dh:u * dh + (h - 1) * sh + 1:sh, v * dw:v * dw + (wd - 1) * sw + 1:sw] += \
                np.einsum("nchw,co->nohw", x, w[:, :, u, v])
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out + b.reshape(1, -1, 1, 1)


def _np_pixel_shuffle(x, r):
    n, c, h, w = x.shape
    out = np.empty((n, c // (r * r), h * r, w * r))
    for ch in range(c):
        i, j = divmod(ch % (r * r), r)
        out[:, ch // (r * r), i::r, j::r] = x[:, ch]
    return out


def _np_linear_axis(x, axis, out, align_corners, scale=None):
    n = x.shape[axis]
    res = []
    for i in range(out):
        if align_corners:
            src = i * (n - 1) / (out - 1) if out > 1 else 0.0
        else:
            src = max((i + 0.5) * (scale if scale else n / out) - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n - 1)
        i1, lam = min(i0 + 1, n - 1), src - i0
        res.append((1 - lam) * np.take(x, i0, axis) + lam * np.take(x, i1, axis))
    return np.stack(res, axis)


def _np_bilinear(x, size, align_corners):
    return _np_linear_axis(_np_linear_axis(x, 2, size[0], align_corners), 3, size[1], align_corners)


def _np_affine_grid(theta, size, align_corners):
    n, _, h, w = size

    def base(k):
        return np.linspace(-1, 1, k) if align_corners else (np.arange(k) * 2 + 1) / k - 1

    xs, ys = np.meshgrid(base(w), base(h))
    points = np.stack([xs, ys, np.ones_like(xs)], -1)  # (H, W, 3)
    return np.einsum("hwk,njk->nhwj", points, theta)


def _np_grid_sample(x, grid, align_corners, border=False):
    n, c, h, w = x.shape
    out = np.zeros((n, c, *grid.shape[1:3]))
    for b in range(n):
        for i in range(grid.shape[1]):
            for j in range(grid.shape[2]):
                gx, gy = grid[b, i, j]
                u = (gx + 1) / 2 * (w - 1) if align_corners else ((gx + 1) * w - 1) / 2
                v = (gy + 1) / 2 * (h - 1) if align_corners else ((gy + 1) * h - 1) / 2
                if border:
                    u, v = min(max(u, 0), w - 1), min(max(v, 0), h - 1)
                u0, v0 = int(np.floor(u)), int(np.floor(v))
                for uu, vv in ((u0, v0), (u0 + 1, v0), (u0, v0 + 1), (u0 + 1, v0 + 1)):
                    if 0 <= uu < w and 0 <= vv < h:
                        out[b, :, i, j] += (1 - abs(u - uu)) * (1 - abs(v - vv)) * x[b, :, vv, uu]
    return out


def _np_instance_norm(x, w, b, eps=1e-5):
    axes = tuple(range(2, x.ndim))
    centred = x - x.mean(axis=axes, keepdims=True)
    y = centred / np.sqrt((centred ** 2).mean(axis=axes, keepdims=True) + eps)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return y * w.reshape(shape) + b.reshape(shape)


def _np_distance(a, b, p=2, eps=1e-6):
    return (np.abs(a - b + eps) ** p).sum(-1) ** (1 / p)


def _np_smooth_l1(x, y, beta):
    d = np.abs(x - y)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta).mean()


_SIGNS = np.array([1.0, -1.0, -1.0])  # the ±1 targets of the ranking and embedding losses


def _np_cosine_embedding(a, b, margin):
    cos = (a * b).sum(-1) / np.sqrt(((a * a).sum(-1) + 1e-12) * ((b * b).sum(-1) + 1e-12))
    return np.where(_SIGNS == 1, 1 - cos, np.maximum(cos - margin, 0)).mean()


def _np_kl_div(x, y):
    return (y * (np.log(y) - x)).sum() / x.shape[0]


def resample_ops(spec, torch_functional):
    """OpSpec entries (``spec`` is the registry's OpSpec, ``torch_functional()`` gives
    ``torch.nn.functional``)."""

    def tf():
        return torch_functional()

    def signs(t, like):
        return t.tensor(_SIGNS, dtype=like.dtype)

    theta = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.2, 0.1, 0.05], [-0.1, 0.8, 0.3]]])
    return [
        spec("conv_transpose2d", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0),
                                                                    output_padding=(1, 0)),
             lambda x, w, b: _np_conv_transpose2d(x, w, b, (2, 1), (1, 0), (1, 0), (1, 1)),
             lambda x, w, b: tf().conv_transpose2d(x, w, b, stride=(2, 1), padding=(1, 0),
                                                   output_padding=(1, 0)),
             "Conv", 3, "smooth", shapes=(((2, 3, 3, 2), (3, 2, 3, 2), (2,)),),
             large=((2, 3, 4, 4), (3, 2, 3, 3), (2,))),
        spec("conv_transpose2d_dilated", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=2,
                                                                            dilation=2),
             lambda x, w, b: _np_conv_transpose2d(x, w, b, (2, 2), (2, 2), (0, 0), (2, 2)),
             lambda x, w, b: tf().conv_transpose2d(x, w, b, stride=2, padding=2, dilation=2),
             "Conv", 3, "smooth", shapes=(((1, 2, 3, 3), (2, 3, 2, 3), (3,)),),
             large=((2, 2, 4, 4), (2, 3, 2, 2), (3,))),
        spec("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), lambda x: _np_pixel_shuffle(x, 2),
             lambda x: tf().pixel_shuffle(x, 2), "permute", 1, "smooth", shapes=(((2, 8, 2, 3),),),
             large=((2, 12, 3, 3),)),
        spec("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2),
             lambda x: x.reshape(2, 2, 2, 2, 3, 2).transpose(0, 1, 3, 5, 2, 4).reshape(2, 8, 2, 3),
             lambda x: tf().pixel_unshuffle(x, 2), "permute", 1, "smooth", shapes=(((2, 2, 4, 6),),),
             large=((2, 2, 4, 6),)),
        spec("interpolate_bilinear",
             lambda x: F.interpolate(x, size=(5, 3), mode="bilinear", align_corners=False),
             lambda x: _np_bilinear(x, (5, 3), False),
             lambda x: tf().interpolate(x, size=(5, 3), mode="bilinear", align_corners=False), "GetItem", 1,
             "smooth", shapes=(((1, 2, 3, 4),),), large=((2, 3, 4, 4),)),
        spec("interpolate_bilinear_corners", lambda x: F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                     align_corners=True),
             lambda x: _np_bilinear(x, (6, 4), True),
             lambda x: tf().interpolate(x, scale_factor=2, mode="bilinear", align_corners=True), "GetItem", 1,
             "smooth", shapes=(((1, 2, 3, 2),),), large=((2, 2, 4, 4),)),
        spec("interpolate_nearest", lambda x: F.interpolate(x, scale_factor=1.5),
             lambda x: x[..., [0, 0, 1, 2, 2, 3]][:, :, [0, 0, 1]],
             lambda x: tf().interpolate(x, scale_factor=1.5), "GetItem", 1, "smooth",
             shapes=(((1, 2, 2, 4),),), large=((2, 2, 2, 4),)),
        spec("interpolate_linear_scale", lambda x: F.interpolate(x, scale_factor=1.5, mode="linear"),
             lambda x: _np_linear_axis(x, 2, 6, False, scale=1 / 1.5),
             lambda x: tf().interpolate(x, scale_factor=1.5, mode="linear"), "GetItem", 1, "smooth",
             shapes=(((2, 3, 4),),), large=((3, 2, 4),)),
        spec("pad_reflect", lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"),
             lambda x: np.pad(x, [(0, 0), (0, 0), (1, 2), (2, 1)], mode="reflect"),
             lambda x: tf().pad(x, (2, 1, 1, 2), mode="reflect"), "GetItem", 1, "smooth",
             shapes=(((1, 2, 3, 4),),), large=((2, 2, 4, 4),)),
        spec("pad_replicate", lambda x: F.pad(x, (3, 1), mode="replicate"),
             lambda x: np.pad(x, [(0, 0), (0, 0), (3, 1)], mode="edge"),
             lambda x: tf().pad(x, (3, 1), mode="replicate"), "GetItem", 1, "smooth",
             shapes=(((2, 2, 3),),), large=((3, 2, 4),)),
        spec("pad_circular", lambda x: F.pad(x, (1, 2, 2, 0), mode="circular"),
             lambda x: np.pad(x, [(0, 0), (0, 0), (2, 0), (1, 2)], mode="wrap"),
             lambda x: tf().pad(x, (1, 2, 2, 0), mode="circular"), "GetItem", 1, "smooth",
             shapes=(((1, 2, 3, 3),),), large=((2, 2, 4, 4),)),
        spec("instance_norm", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), _np_instance_norm,
             lambda x, w, b: tf().instance_norm(x, weight=w, bias=b), "LayerNorm", 3, "smooth",
             shapes=(((2, 3, 4), (3,), (3,)), ((2, 2, 2, 3), (2,), (2,))), large=((3, 4, 5), (4,), (4,))),
        spec("affine_grid", lambda t: F.affine_grid(t, (2, 1, 3, 4), align_corners=False),
             lambda t: _np_affine_grid(t, (2, 1, 3, 4), False),
             lambda t: tf().affine_grid(t, (2, 1, 3, 4), align_corners=False), "matmul", 1, "smooth",
             shapes=(((2, 2, 3),),), large=((2, 2, 3),)),
        spec("affine_grid_corners", lambda t: F.affine_grid(t, (2, 1, 2, 3), align_corners=True),
             lambda t: _np_affine_grid(t, (2, 1, 2, 3), True),
             lambda t: tf().affine_grid(t, (2, 1, 2, 3), align_corners=True), "matmul", 1, "smooth",
             shapes=(((2, 2, 3),),), large=((2, 2, 3),)),
        spec("grid_sample", lambda x, g: F.grid_sample(x, g, align_corners=False),
             lambda x, g: _np_grid_sample(x, g, False),
             lambda x, g: tf().grid_sample(x, g, align_corners=False), "GetItem", 2, "smooth",
             shapes=(((2, 2, 3, 4), (2, 3, 2, 2)),), large=((2, 2, 4, 4), (2, 3, 3, 2))),
        spec("grid_sample_border_corners", lambda x, g: F.grid_sample(x, g, padding_mode="border",
                                                                      align_corners=True),
             lambda x, g: _np_grid_sample(x, g, True, border=True),
             lambda x, g: tf().grid_sample(x, g, padding_mode="border", align_corners=True), "GetItem", 2,
             "smooth", shapes=(((1, 2, 3, 3), (1, 2, 3, 2)),), large=((2, 2, 4, 4), (2, 3, 3, 2))),
        spec("spatial_transformer", lambda x: F.grid_sample(
            x, F.affine_grid(gn.tensor(theta, dtype=x.dtype), x.shape, align_corners=False),
            align_corners=False),
             lambda x: _np_grid_sample(x, _np_affine_grid(theta, x.shape, False), False),
             lambda x: tf().grid_sample(x, tf().affine_grid(T_tensor(theta).to(x.dtype), x.shape,
                                                            align_corners=False),
                                        align_corners=False), "GetItem", 1, "smooth",
             shapes=(((2, 1, 3, 4),),), large=((2, 2, 4, 4),)),
        spec("pairwise_distance", F.pairwise_distance, _np_distance,
             lambda a, b: tf().pairwise_distance(a, b),
             "sqrt", 2, "smooth", shapes=(((3, 4), (3, 4)), ((4,), (2, 4)))),
        spec("pairwise_distance_p1", lambda a, b: F.pairwise_distance(a, b, p=1.0),
             lambda a, b: _np_distance(a, b, 1), lambda a, b: tf().pairwise_distance(a, b, p=1.0), "abs", 2,
             "smooth", shapes=(((3, 4), (3, 4)),)),
        spec("triplet_margin_loss", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0, swap=True),
             lambda a, p, n: np.maximum(3.0 + _np_distance(a, p) - np.minimum(_np_distance(a, n),
                                                                               _np_distance(p, n)), 0).mean(),
             lambda a, p, n: tf().triplet_margin_loss(a, p, n, margin=3.0, swap=True), "clamp", 3, "smooth",
             shapes=(((3, 4), (3, 4), (3, 4)),), large=((5, 4), (5, 4), (5, 4))),
        spec("margin_ranking_loss",
             lambda a, b: F.margin_ranking_loss(a, b, gn.tensor(_SIGNS, dtype=a.dtype), margin=5.0),
             lambda a, b: np.maximum(-_SIGNS * (a - b) + 5.0, 0).mean(),
             lambda a, b: tf().margin_ranking_loss(a, b, signs(T_module(), a), margin=5.0), "clamp", 2,
             "smooth", shapes=(((3,), (3,)),), large=((3,), (3,))),
        spec("cosine_embedding_loss",
             lambda a, b: F.cosine_embedding_loss(a, b, gn.tensor(_SIGNS, dtype=a.dtype),
                                                                   margin=-1.0),
             lambda a, b: _np_cosine_embedding(a, b, -1.0),
             lambda a, b: tf().cosine_embedding_loss(a, b, signs(T_module(), a), margin=-1.0), "sqrt", 2,
             "smooth", shapes=(((3, 4), (3, 4)),), large=((3, 5), (3, 5))),
        spec("smooth_l1_loss", lambda x, y: F.smooth_l1_loss(x, y, beta=0.8),
             lambda x, y: _np_smooth_l1(x, y, 0.8), lambda x, y: tf().smooth_l1_loss(x, y, beta=0.8),
             "where", 2, "smooth", shapes=(((3, 4), (3, 4)), ((5,), (5,))), large=((5, 4), (5, 4))),
        spec("hinge_embedding_loss", lambda x: F.hinge_embedding_loss(x, gn.tensor(_SIGNS, dtype=x.dtype),
                                                                      margin=3.0),
             lambda x: np.where(_SIGNS == 1, x, np.maximum(3.0 - x, 0)).mean(),
             lambda x: tf().hinge_embedding_loss(x, signs(T_module(), x), margin=3.0), "where", 1, "smooth",
             shapes=(((3,),),), large=((3,),)),
        spec("soft_margin_loss", lambda x: F.soft_margin_loss(x, gn.tensor(_SIGNS, dtype=x.dtype)),
             lambda x: np.log1p(np.exp(-_SIGNS * x)).mean(),
             lambda x: tf().soft_margin_loss(x, signs(T_module(), x)), "softplus", 1, "smooth",
             shapes=(((3,),), ((2, 3),)), large=((3,),)),
        spec("multilabel_soft_margin_loss", lambda x, y: F.multilabel_soft_margin_loss(x, y),
             lambda x, y: (y * np.log1p(np.exp(-x)) + (1 - y) * np.log1p(np.exp(x))).mean(),
             lambda x, y: tf().multilabel_soft_margin_loss(x, y), "logsigmoid", 2, ("smooth", "positive"),
             shapes=(((3, 4), (3, 4)),), large=((4, 5), (4, 5))),
        spec("gaussian_nll_loss", lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True),
             lambda x, y, v: (0.5 * (np.log(v) + (x - y) ** 2 / v) + 0.5 * np.log(2 * np.pi)).mean(),
             lambda x, y, v: tf().gaussian_nll_loss(x, y, v, full=True), "log", 3,
             ("smooth", "smooth", "positive"), shapes=(((3, 2), (3, 2), (3, 2)), ((4,), (4,), (4,))),
             large=((4, 5), (4, 5), (4, 5))),
        spec("poisson_nll_loss", lambda x, y: F.poisson_nll_loss(x, y),
             lambda x, y: (np.exp(x) - y * x).mean(),
             lambda x, y: tf().poisson_nll_loss(x, y), "exp", 2, ("smooth", "positive"),
             shapes=(((3, 4), (3, 4)),), large=((4, 5), (4, 5))),
        spec("kl_div_batchmean", lambda x, y: F.kl_div(x, y, reduction="batchmean"), _np_kl_div,
             lambda x, y: tf().kl_div(x, y, reduction="batchmean"), "where", 2, ("smooth", "positive"),
             shapes=(((3, 4), (3, 4)),), large=((4, 5), (4, 5))),
    ]


def T_module():  # noqa: N802  (torch, imported when a torch reference runs)
    import torch

    return torch


def T_tensor(array):  # noqa: N802
    return T_module().tensor(array)


# -- Module-registry entries ----------------------------------------------------------------

def _randomised(build):
    def make():
        module = build()
        rng = np.random.default_rng(7)
        for p in module.parameters():
            p.data[...] = rng.uniform(0.5, 1.5, p.shape)
        return module

    return make


def _pair_module(kind, shape):
    """(glassnet build, shape, torch build) of ``kind`` called on the two halves
    (x[:, 0], x[:, 1]) of one input (N, 2, D)."""

    def wrap(base):
        class Pair(base):
            def forward(self, x):
                return super().forward(x[:, 0], x[:, 1])

        return Pair

    return (lambda: wrap(getattr(nn, kind))(), shape, lambda t: wrap(getattr(t.nn, kind))())


def _parameter_layer(framework_nn, framework, kind):
    """A ParameterList / ParameterDict with a forward ``tanh(x·W) + b`` (W, b its two
    entries), so that the contract can call it; PyTorch's containers refuse to be called, so
    its side is a Module with the same two parameters under the same names."""
    rng = np.random.default_rng(8)
    dtype = framework.get_default_dtype()
    w, b = (framework_nn.Parameter(framework.tensor(rng.uniform(-1, 1, shape), dtype=dtype))
            for shape in ((3, 2), (2,)))
    names = ("0", "1") if kind == "ParameterList" else ("w", "b")
    base = getattr(framework_nn, kind) if framework is gn else framework_nn.Module

    class Layer(base):
        def __init__(self):
            super().__init__()
            for name, p in zip(names, (w, b), strict=True):
                self.register_parameter(name, p)

        def forward(self, x):
            return framework.tanh(x @ getattr(self, names[0])) + getattr(self, names[1])

    return Layer()


def _transformer(framework_nn, framework):
    class Seq2Seq(framework_nn.Transformer):
        """batch_first; source x, target x[:, 1:]·0.5 under the causal mask."""

        def forward(self, x):
            length = x.shape[1] - 1
            mask = framework_nn.Transformer.generate_square_subsequent_mask(length, dtype=x.dtype)
            return super().forward(x, x[:, 1:] * 0.5, tgt_mask=mask)

    return Seq2Seq(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=2, dim_feedforward=6,
                   dropout=0.0, batch_first=True)


def resample_specs(spec):
    """ModuleSpec entries (``spec`` is the registry's dataclass)."""
    same = [  # (name, input shape, class, arguments): the same call in both frameworks
        ("ConvTranspose2d", (2, 3, 4), "ConvTranspose2d", (2, 3, 3),
         dict(stride=2, padding=1, output_padding=1)),
        ("ConvTranspose2d-groups-dilation-nobias", (4, 3, 3), "ConvTranspose2d", (4, 2, (2, 3)),
         dict(stride=(1, 2), padding=(0, 1), groups=2, dilation=(2, 1), bias=False)),
        ("ConvTranspose1d", (2, 5), "ConvTranspose1d", (2, 3, 3), dict(stride=3, padding=2)),
        ("PixelShuffle", (8, 2, 3), "PixelShuffle", (2,), {}),
        ("PixelUnshuffle", (2, 4, 6), "PixelUnshuffle", (2,), {}),
        ("Upsample-nearest", (2, 3, 3), "Upsample", (), dict(scale_factor=2)),
        ("Upsample-bilinear-size", (2, 3, 3), "Upsample", (), dict(size=(5, 4), mode="bilinear",
                                                                    align_corners=False)),
        ("Upsample-nearest-exact", (2, 4), "Upsample", (), dict(scale_factor=1.75, mode="nearest-exact")),
        ("UpsamplingBilinear2d", (1, 3, 2), "UpsamplingBilinear2d", (), dict(scale_factor=2)),
        ("UpsamplingNearest2d", (2, 2, 3), "UpsamplingNearest2d", (), dict(size=(4, 5))),
        ("ReflectionPad2d", (2, 3, 4), "ReflectionPad2d", ((1, 2, 0, 2),), {}),
        ("ReflectionPad1d", (2, 4), "ReflectionPad1d", (2,), {}),
        ("ReplicationPad2d", (1, 3, 3), "ReplicationPad2d", (2,), {}),
        ("ReplicationPad1d", (2, 3), "ReplicationPad1d", ((3, 1),), {}),
        ("CircularPad2d", (1, 3, 3), "CircularPad2d", ((1, 0, 2, 3),), {}),
        ("CircularPad1d", (2, 3), "CircularPad1d", (2,), {}),
        ("ConstantPad2d", (1, 2, 2), "ConstantPad2d", (1, -1.0), {}),
        ("ConstantPad1d", (2, 3), "ConstantPad1d", ((1, 2), 0.5), {}),
        ("ZeroPad2d", (1, 2, 2), "ZeroPad2d", ((1, 0, 2, 1),), {}),
        ("ZeroPad1d", (2, 3), "ZeroPad1d", (1,), {}),
        ("InstanceNorm1d-running-stats", (2, 5), "InstanceNorm1d", (2,), dict(track_running_stats=True)),
        ("Conv2d-padding_mode-reflect", (2, 4, 5), "Conv2d", (2, 3, 3),
         dict(padding=(1, 2), padding_mode="reflect")),
        ("Conv2d-padding_mode-replicate-same", (1, 4, 4), "Conv2d", (1, 2, (2, 3)),
         dict(padding="same", padding_mode="replicate")),
        ("Conv1d-padding_mode-circular-stride", (2, 6), "Conv1d", (2, 3, 3),
         dict(stride=2, padding=2, padding_mode="circular")),
        ("AvgPool2d-ceil_mode", (2, 6, 5), "AvgPool2d", (3, 2, 1), dict(ceil_mode=True)),
        ("AvgPool2d-ceil_mode-exclude-pad", (1, 6, 6), "AvgPool2d", ((3, 2), (2, 3), (1, 0)),
         dict(ceil_mode=True, count_include_pad=False)),
        ("AvgPool1d-ceil_mode", (2, 7), "AvgPool1d", (3, 2, 1), dict(ceil_mode=True)),
        ("Conv3d", (2, 4, 3, 4), "Conv3d", (2, 3, (2, 3, 2)), dict(stride=(1, 2, 1), padding=(1, 0, 1))),
        ("Conv3d-groups-reflect", (4, 3, 3, 3), "Conv3d", (4, 2, 2), dict(groups=2, padding=1,
                                                                          padding_mode="reflect")),
        ("MaxPool3d", (2, 4, 4, 3), "MaxPool3d", (2,), dict(ceil_mode=True)),
        ("AvgPool3d", (2, 4, 3, 4), "AvgPool3d", (3, 2, 1), {}),
        ("BatchNorm3d", (3, 2, 3, 2), "BatchNorm3d", (3,), {}),
        ("AlphaDropout-p0", (5,), "AlphaDropout", (0.0,), {}),  # training draws: tests/test_module_surface.py
        ("FeatureAlphaDropout-p0", (3, 4), "FeatureAlphaDropout", (0.0,), {}),
        ("ConvTranspose3d", (4, 2, 3, 3), "ConvTranspose3d", (4, 3, (2, 3, 2)),
         dict(stride=(1, 2, 2), padding=(0, 1, 1), output_padding=(0, 1, 0))),
        ("ConvTranspose3d-groups-dilation", (4, 2, 2, 3), "ConvTranspose3d", (4, 2, 2),
         dict(groups=2, dilation=(1, 2, 1), stride=2)),
        ("InstanceNorm3d", (3, 2, 3, 4), "InstanceNorm3d", (3,), {}),
        ("ReflectionPad3d", (2, 3, 3, 4), "ReflectionPad3d", ((1, 2, 1, 0, 2, 1),), {}),
        ("ReplicationPad3d", (2, 2, 3, 2), "ReplicationPad3d", (2,), {}),
        ("CircularPad3d", (2, 2, 3, 2), "CircularPad3d", ((1, 0, 1, 1, 0, 2),), {}),
        ("ConstantPad3d", (2, 2, 3, 2), "ConstantPad3d", ((1, 0, 0, 1, 2, 0), 3.5), {}),
        ("ZeroPad3d", (2, 2, 3, 2), "ZeroPad3d", (1,), {}),
        ("LocalResponseNorm", (5, 3, 2), "LocalResponseNorm", (3,), dict(alpha=0.5, beta=0.6, k=1.5)),
        ("LocalResponseNorm-even-1d", (6, 4), "LocalResponseNorm", (4,), dict(alpha=0.2)),
        ("LocalResponseNorm-3d", (4, 2, 2, 3), "LocalResponseNorm", (2,), dict(alpha=0.3)),
        ("ChannelShuffle", (6, 2, 3), "ChannelShuffle", (3,), {}),
        ("LPPool1d", (3, 7), "LPPool1d", (2, 3), dict(stride=2, ceil_mode=True)),
        ("LPPool2d", (2, 5, 4), "LPPool2d", (2, (2, 3)), dict(stride=1)),
        ("LPPool3d", (2, 4, 4, 3), "LPPool3d", (2, 2), {}),
    ]
    entries = [spec(name, (lambda k=kind, a=args, kw=kwargs: getattr(nn, k)(*a, **kw)), shape,
                    (lambda t, k=kind, a=args, kw=kwargs: getattr(t.nn, k)(*a, **kw)))
               for name, shape, kind, args, kwargs in same]
    entries += [
        spec("InstanceNorm2d-affine", _randomised(lambda: nn.InstanceNorm2d(3, affine=True)), (3, 3, 4),
             lambda t: t.nn.InstanceNorm2d(3, affine=True)),
        spec("PairwiseDistance", *_pair_module("PairwiseDistance", (2, 4))),
        spec("CosineSimilarity", *_pair_module("CosineSimilarity", (2, 4))),
        spec("Unflatten", lambda: nn.Unflatten(1, (2, 3)), (6,), lambda t: t.nn.Unflatten(1, (2, 3))),
        spec("Softmax2d", lambda: nn.Softmax2d(), (3, 2, 2), lambda t: t.nn.Softmax2d()),
        spec("ParameterList-as-a-layer", lambda: _parameter_layer(nn, gn, "ParameterList"), (3,),
             lambda t: _parameter_layer(t.nn, t, "ParameterList")),
        spec("ParameterDict-as-a-layer", lambda: _parameter_layer(nn, gn, "ParameterDict"), (3,),
             lambda t: _parameter_layer(t.nn, t, "ParameterDict")),
        spec("Transformer-batch_first-causal", lambda: _transformer(nn, gn), (4, 4),
             lambda t: _transformer(t.nn, t)),
    ]
    return entries
