"""Op-registry entries for the composed functional forms of issue #16's audit: F.unfold,
F.fold, F.adaptive_max_pool1d/2d/3d, F.adaptive_avg_pool3d, F.max_unpool1d/2d (after a max pool with indices),
F.bilinear, F.pdist, F.embedding_bag and F.rrelu (evaluation: the mean slope).

Their NumPy references are written here as plain loops over windows, bins and bags, so
they read as the definitions; ``covers`` names the primitive each composition rests on.
"""

import itertools

import numpy as np

import glassnet as gn

__all__ = ["surface_ops"]


def _np_unfold(x, k=(2, 2), d=(1, 1), p=(0, 0), s=(1, 1)):
    x = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    n, c, h, w = x.shape
    oh, ow = (h - d[0] * (k[0] - 1) - 1) // s[0] + 1, (w - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((n, c, k[0], k[1], oh * ow))
    for i, j in itertools.product(range(oh), range(ow)):
        for u, v in itertools.product(range(k[0]), range(k[1])):
            cols[:, :, u, v, i * ow + j] = x[:, :, i * s[0] + u * d[0], j * s[1] + v * d[1]]
    return cols.reshape(n, -1, oh * ow)


def _np_fold(cols, size, k, p=(0, 0), s=(1, 1)):
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    h, w = size[0] + 2 * p[0], size[1] + 2 * p[1]
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    blocks = cols.reshape(n, c, k[0], k[1], oh * ow)
    image = np.zeros((n, c, h, w))
    for i, j in itertools.product(range(oh), range(ow)):
        for u, v in itertools.product(range(k[0]), range(k[1])):
            image[:, :, i * s[0] + u, j * s[1] + v] += blocks[:, :, u, v, i * ow + j]
    return image[:, :, p[0]:h - p[0], p[1]:w - p[1]]


def _bin_edges(size, out):
    return [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]


def _np_adaptive_max(x, out, reduce=np.max):
    """x (N, C, *spatial), out per spatial axis (None: keep); ``reduce`` each bin (max, mean)."""
    out = tuple(s if o is None else o for s, o in zip(x.shape[2:], out, strict=True))
    result = np.zeros(x.shape[:2] + out)
    for cell in itertools.product(*(range(o) for o in out)):
        edges = [_bin_edges(s, o)[i] for s, o, i in zip(x.shape[2:], out, cell, strict=True)]
        window = x[(slice(None), slice(None), *(slice(a, b) for a, b in edges))]
        result[(slice(None), slice(None), *cell)] = reduce(window.reshape(*x.shape[:2], -1), axis=-1)
    return result


def _np_pool_unpool(x):
    """max_pool(k=2) then max_unpool: each window's maximum kept in place, the rest zero."""
    out = np.zeros_like(x)
    spatial = x.shape[2:]
    for cell in itertools.product(*(range(s // 2) for s in spatial)):
        block = (slice(None), slice(None), *(slice(2 * i, 2 * i + 2) for i in cell))
        window = x[block].reshape(*x.shape[:2], -1)
        first = window.argmax(axis=-1)
        kept = np.zeros_like(window)
        np.put_along_axis(kept, first[..., None], np.take_along_axis(window, first[..., None], -1), -1)
        out[block] = kept.reshape(x[block].shape)
    return out


def _np_bilinear(x1, x2, w, b):
    out = np.zeros(x1.shape[:-1] + (w.shape[0],))
    for o in range(w.shape[0]):
        out[..., o] = ((x1 @ w[o]) * x2).sum(-1) + b[o]
    return out


def _np_pdist(x, p=2.0):
    pairs = [(i, j) for i in range(x.shape[0]) for j in range(i + 1, x.shape[0])]
    return np.array([np.linalg.norm(x[i] - x[j], ord=p) for i, j in pairs])


_BAGS = [[1, 2], [0, 3, 3], [], [4, 1, 2]]  # one empty bag
_FLAT = np.array([i for bag in _BAGS for i in bag])
_OFFSETS = np.cumsum([0] + [len(b) for b in _BAGS[:-1]])


def _gn_bag(mode):
    return lambda w: gn.nn.functional.embedding_bag(gn.tensor(_FLAT), w, gn.tensor(_OFFSETS), mode=mode)


def _torch_bag(mode):
    def run(w):
        import torch

        return torch.nn.functional.embedding_bag(torch.tensor(_FLAT), w, torch.tensor(_OFFSETS), mode=mode)

    return run


def _np_bag(mode):
    def ref(w):
        reduce = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode]
        return np.stack([reduce(w[bag], axis=0) if bag else np.zeros(w.shape[1]) for bag in _BAGS])

    return ref


def _np_bag_weighted(w, per_sample):
    out, start = [], 0
    for bag in _BAGS:
        out.append((w[bag] * per_sample[start:start + len(bag), None]).sum(0))
        start += len(bag)
    return np.stack(out)


def surface_ops(spec, torch_functional):
    """OpSpec entries (``spec`` is the registry's OpSpec, ``torch_functional()`` gives
    ``torch.nn.functional``)."""
    import glassnet.nn.functional as F

    def tf():
        return torch_functional()

    rows = (((5, 3),), ((5, 1),))
    return [
        spec("unfold", lambda x: F.unfold(x, 2), _np_unfold, lambda x: tf().unfold(x, 2), "getitem",
             shapes=(((2, 3, 3, 4),), ((1, 1, 2, 2),)), large=((2, 2, 5, 6),)),
        spec("unfold_dilation_padding_stride", lambda x: F.unfold(x, (2, 3), (2, 1), 1, (1, 2)),
             lambda x: _np_unfold(x, (2, 3), (2, 1), (1, 1), (1, 2)),
             lambda x: tf().unfold(x, (2, 3), (2, 1), 1, (1, 2)), "getitem",
             shapes=(((2, 2, 4, 5),),), large=((2, 3, 6, 7),)),
        spec("fold", lambda x: F.fold(x, (3, 4), 2), lambda x: _np_fold(x, (3, 4), (2, 2)),
             lambda x: tf().fold(x, (3, 4), 2), "scatter_add", shapes=(((2, 8, 6),), ((1, 4, 6),)),
             large=((2, 12, 6),)),
        spec("fold_padding_stride", lambda x: F.fold(x, (4, 3), (3, 2), padding=1, stride=2),
             lambda x: _np_fold(x, (4, 3), (3, 2), (1, 1), (2, 2)),
             lambda x: tf().fold(x, (4, 3), (3, 2), padding=1, stride=2), "scatter_add",
             shapes=(((2, 6, 4),),), large=((3, 12, 4),)),
        spec("adaptive_max_pool1d", lambda x: F.adaptive_max_pool1d(x, 3),
             lambda x: _np_adaptive_max(x, (3,)),
             lambda x: tf().adaptive_max_pool1d(x, 3), "gather", shapes=(((2, 3, 7),), ((1, 2, 3),)),
             large=((3, 4, 10),)),
        spec("adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (2, None)),
             lambda x: _np_adaptive_max(x, (2, None)), lambda x: tf().adaptive_max_pool2d(x, (2, None)),
             "gather", shapes=(((2, 3, 5, 4),), ((1, 1, 2, 3),)), large=((2, 3, 7, 6),)),
        spec("adaptive_max_pool3d", lambda x: F.adaptive_max_pool3d(x, (2, None, 3)),
             lambda x: _np_adaptive_max(x, (2, None, 3)), lambda x: tf().adaptive_max_pool3d(x, (2, None, 3)),
             "gather", shapes=(((1, 2, 3, 2, 5),), ((2, 1, 2, 1, 3),)), large=((2, 2, 5, 3, 4),)),
        spec("adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, 3, None)),
             lambda x: _np_adaptive_max(x, (2, 3, None), np.mean),
             lambda x: tf().adaptive_avg_pool3d(x, (2, 3, None)),
             "matmul", shapes=(((1, 2, 3, 5, 2),), ((2, 1, 4, 3, 1),)), large=((2, 2, 5, 4, 3),)),
        spec("interpolate_area_3d", lambda x: F.interpolate(x, size=(2, 3, 1), mode="area"),
             lambda x: _np_adaptive_max(x, (2, 3, 1), np.mean),
             lambda x: tf().interpolate(x, size=(2, 3, 1), mode="area"), "matmul",
             shapes=(((1, 2, 5, 4, 3),),), large=((2, 1, 4, 7, 2),)),
        spec("max_unpool1d", lambda x: F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2),
             _np_pool_unpool, lambda x: tf().max_unpool1d(*tf().max_pool1d(x, 2, return_indices=True), 2),
             "scatter", shapes=(((2, 3, 6),), ((1, 1, 2),)), large=((3, 2, 8),)),
        spec("max_unpool2d", lambda x: F.max_unpool2d(*F.max_pool2d_with_indices(x, 2), 2),
             _np_pool_unpool, lambda x: tf().max_unpool2d(*tf().max_pool2d_with_indices(x, 2), 2),
             "scatter", shapes=(((2, 3, 4, 6),), ((1, 1, 2, 2),)), large=((2, 2, 6, 6),)),
        spec("bilinear", F.bilinear, _np_bilinear, lambda a, b, w, c: tf().bilinear(a, b, w, c), "einsum", 4,
             "smooth", shapes=(((3, 2), (3, 4), (5, 2, 4), (5,)), ((2, 3, 2), (2, 3, 1), (2, 2, 1), (2,))),
             large=((6, 4), (6, 3), (2, 4, 3), (2,))),
        spec("pdist", F.pdist, _np_pdist, lambda x: tf().pdist(x), "norm", shapes=(((4, 3),), ((2, 1),)),
             large=((6, 4),)),
        spec("pdist_p1", lambda x: F.pdist(x, 1.0), lambda x: _np_pdist(x, 1.0), lambda x: tf().pdist(x, 1.0),
             "norm", shapes=(((4, 3),),), large=((6, 4),)),
        spec("embedding_bag_mean", _gn_bag("mean"), _np_bag("mean"), _torch_bag("mean"), "scatter_add",
             shapes=rows, large=((5, 6),)),
        spec("embedding_bag_sum", _gn_bag("sum"), _np_bag("sum"), _torch_bag("sum"), "scatter_add",
             shapes=rows, large=((5, 6),)),
        spec("embedding_bag_max", _gn_bag("max"), _np_bag("max"), _torch_bag("max"), "gather",
             shapes=rows, large=((5, 6),)),
        spec("embedding_bag_per_sample_weights",
             lambda w, s: gn.nn.functional.embedding_bag(gn.tensor(_FLAT), w, gn.tensor(_OFFSETS), mode="sum",
                                                         per_sample_weights=s),
             _np_bag_weighted, lambda w, s: _torch_weighted_bag(w, s), "scatter_add", 2,
             shapes=(((5, 3), (_FLAT.size,)),), large=((5, 6), (_FLAT.size,))),
        spec("rrelu_eval", lambda x: F.rrelu(x, 0.1, 0.3), lambda x: np.where(x >= 0, x, 0.2 * x),
             lambda x: tf().rrelu(x, 0.1, 0.3), "leaky_relu"),
    ]


def _torch_weighted_bag(w, per_sample):
    import torch

    return torch.nn.functional.embedding_bag(torch.tensor(_FLAT), w, torch.tensor(_OFFSETS), mode="sum",
                                             per_sample_weights=per_sample)
