"""Samplers and default_collate / default_convert against torch.utils.data.

Orders drawn at random differ between the frameworks (different generators); every
check here holds for any seed: each index once per epoch, the same counts, the same
lengths, identical batches wherever nothing is random.
"""

import collections
import inspect

import numpy as np
import pytest

import glassnet as gn
import glassnet.data as gd

torch = pytest.importorskip("torch")
tud = torch.utils.data

Point = collections.namedtuple("Point", ["x", "y"])


def _as_plain(value):
    """Tensors of either framework → ("T", dtype name, nested list); containers kept."""
    if isinstance(value, gn.Tensor):
        return ("T", str(value.numpy().dtype), value.numpy().tolist())
    if isinstance(value, torch.Tensor):
        return ("T", str(value.numpy().dtype), value.numpy().tolist())
    if isinstance(value, Point):
        return ("Point", *(_as_plain(v) for v in value))
    if isinstance(value, dict):
        return {k: _as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_as_plain(v) for v in value])
    return value


# -- samplers --------------------------------------------------------------------------


def test_sequential_and_batch_samplers_give_torchs_lists():
    for source in (range(10), list("abcdefg"), np.zeros((5, 2))):
        assert list(gd.SequentialSampler(source)) == list(tud.SequentialSampler(source))
        for batch_size in (1, 3, 4, 20):
            for drop_last in (False, True):
                ours = gd.BatchSampler(gd.SequentialSampler(source), batch_size, drop_last)
                theirs = tud.BatchSampler(tud.SequentialSampler(source), batch_size, drop_last)
                assert list(ours) == list(theirs)
                assert len(ours) == len(theirs)
    assert list(gd.BatchSampler(range(7), 3, False)) == list(tud.BatchSampler(range(7), 3, False))
    assert all(type(i) is int for batch in gd.BatchSampler(range(7), 3, False) for i in batch)


@pytest.mark.parametrize("num_samples", [None, 4, 10, 23])
def test_random_sampler_without_replacement_counts_like_torch(num_samples):
    source = range(10)
    for _ in range(3):
        ours = list(gd.RandomSampler(source, num_samples=num_samples))
        theirs = list(tud.RandomSampler(source, num_samples=num_samples))
        assert len(ours) == len(theirs) == (num_samples or 10)
        assert all(type(i) is int for i in ours)
        ours_counts = np.bincount(ours, minlength=10)
        theirs_counts = np.bincount(theirs, minlength=10)
        # whole permutations then part of one: every index k or k+1 times, the same tally
        assert sorted(ours_counts.tolist()) == sorted(theirs_counts.tolist())
        for k in range((num_samples or 10) // 10):
            chunk = ours[10 * k: 10 * (k + 1)]
            assert sorted(chunk) == list(range(10))


def test_random_sampler_with_replacement_and_generator():
    ours = gd.RandomSampler(range(5), replacement=True, num_samples=200,
                            generator=np.random.default_rng(0))
    theirs = tud.RandomSampler(range(5), replacement=True, num_samples=200)
    drawn = list(ours)
    assert len(drawn) == len(theirs) == 200
    assert set(drawn) == set(theirs) == set(range(5))  # 200 draws from 5 reach every index
    again = list(gd.RandomSampler(range(5), replacement=True, num_samples=200,
                                  generator=np.random.default_rng(0)))
    assert again == drawn


def test_random_sampler_follows_manual_seed_and_draws_at_iter():
    sampler = gd.RandomSampler(range(30))
    gn.manual_seed(3)
    it = iter(sampler)
    gn.manual_seed(99)  # reseeding after iter() does not change this epoch
    first = list(it)
    gn.manual_seed(3)
    assert list(sampler) == first
    assert sorted(first) == list(range(30)) and first != list(range(30))


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [7, 3, 11, 5, 2]
    for _ in range(3):
        ours, theirs = list(gd.SubsetRandomSampler(indices)), list(tud.SubsetRandomSampler(indices))
        assert sorted(ours) == sorted(theirs) == sorted(indices)
    assert len(gd.SubsetRandomSampler(indices)) == len(tud.SubsetRandomSampler(indices)) == 5


def test_weighted_random_sampler_like_torch():
    weights = [0.0, 1.0, 3.0, 0.0, 2.0]
    ours = list(gd.WeightedRandomSampler(weights, 600, generator=np.random.default_rng(1)))
    theirs = list(tud.WeightedRandomSampler(weights, 600))
    for drawn in (ours, theirs):
        counts = np.bincount(drawn, minlength=5)
        assert counts[0] == counts[3] == 0  # zero weight: never drawn
        np.testing.assert_allclose(counts[[1, 2, 4]] / 600, [1 / 6, 3 / 6, 2 / 6], atol=0.07)
    for _ in range(5):  # without replacement: distinct, only non-zero weights
        ours = list(gd.WeightedRandomSampler(weights, 3, replacement=False))
        theirs = list(tud.WeightedRandomSampler(weights, 3, replacement=False))
        assert sorted(ours) == sorted(theirs) == [1, 2, 4]
    assert len(gd.WeightedRandomSampler(gn.tensor(weights), 7)) == 7


@pytest.mark.parametrize(("make", "error"), [
    (lambda m: m.RandomSampler(range(3), replacement=1), TypeError),
    (lambda m: m.RandomSampler(range(3), num_samples=0), ValueError),
    (lambda m: m.RandomSampler([]), ValueError),
    (lambda m: m.BatchSampler(range(3), 0, False), ValueError),
    (lambda m: m.BatchSampler(range(3), True, False), ValueError),
    (lambda m: m.BatchSampler(range(3), 2, 1), ValueError),
    (lambda m: m.WeightedRandomSampler([1.0, 2.0], 0), ValueError),
    (lambda m: m.WeightedRandomSampler([1.0, 2.0], 2, replacement=None), ValueError),
    (lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2), ValueError),
])
def test_sampler_argument_errors_match_torch(make, error):
    with pytest.raises(error):
        make(tud)
    with pytest.raises(error) as info:
        make(gd)
    assert isinstance(info.value, gn.GlassnetError)
    assert str(info.value).split(":")[0] in ("RandomSampler", "BatchSampler",
                                             "WeightedRandomSampler")  # names the class


def test_weighted_sampler_without_replacement_zero_weights_last_and_too_many():
    for _ in range(5):
        ours = list(gd.WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False))
        theirs = list(tud.WeightedRandomSampler([1.0, 0.0, 2.0], 3, replacement=False))
        assert sorted(ours) == sorted(theirs) == [0, 1, 2]
        assert ours[-1] == theirs[-1] == 1
    with pytest.raises(RuntimeError):
        list(tud.WeightedRandomSampler([1.0, 0.0, 2.0], 4, replacement=False))
    with pytest.raises(gn.GlassnetValueError, match="cannot draw 4 samples .* 3 weights"):
        list(gd.WeightedRandomSampler([1.0, 0.0, 2.0], 4, replacement=False))


def test_user_sampler_subclass_is_iterated():
    class EvensFirst(gd.Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter([*range(0, self.n, 2), *range(1, self.n, 2)])

        def __len__(self):
            return self.n

    assert list(gd.BatchSampler(EvensFirst(7), 3, False)) == [[0, 2, 4], [6, 1, 3], [5]]


# -- collate ---------------------------------------------------------------------------

def _samples(fw):
    """Batches of samples of every kind default_collate knows, built in framework fw."""
    t = fw.tensor
    return [
        [t([1.0, 2.0], dtype=fw.float64), t([3.0, 4.0], dtype=fw.float64)],
        [t(1), t(2), t(3)],
        [np.arange(3, dtype=np.float32), np.ones(3, dtype=np.float32)],
        [np.array(2.5), np.array(1.5)],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(4), np.int32(5)],
        [1.5, 2.5],
        [1, 2],
        [True, False],
        [1, True],
        ["a", "b"],
        [(np.zeros(2), 1), (np.ones(2), 0)],
        [[0.5, 3], [1.5, 4]],
        [{"x": np.zeros(2), "y": 1.0, "name": "p"}, {"x": np.ones(2), "y": 2.0, "name": "q"}],
        [Point(np.zeros(2), 1), Point(np.ones(2), 2)],
        [(t([1.0, 2.0], dtype=fw.float64), {"k": [1, 2]}), (t([3.0, 4.0], dtype=fw.float64),
                                                            {"k": [3, 4]})],
    ]


def test_default_collate_matches_torch_on_every_kind():
    for ours, theirs in zip(_samples(gn), _samples(torch), strict=True):
        assert _as_plain(gd.default_collate(ours)) == _as_plain(tud.default_collate(theirs)), ours


def test_default_convert_matches_torch():
    samples = [np.arange(3), np.float64(2.0), 3, 2.5, "s", (np.zeros(2), 1),
               [np.ones(2), "x"], {"a": np.array([1, 2])}, Point(np.array(1), 2)]
    for sample in samples:
        assert _as_plain(gd.default_convert(sample)) == _as_plain(tud.default_convert(sample))
    t = gn.tensor([1.0])
    assert gd.default_convert(t) is t


def test_default_collate_errors():
    with pytest.raises(RuntimeError):
        tud.default_collate([torch.zeros(2), torch.zeros(3)])
    with pytest.raises(gn.GlassnetValueError, match=r"\(2,\) at entry 0 and \(3,\) at entry 1"):
        gd.default_collate([gn.zeros(2), gn.zeros(3)])
    with pytest.raises(RuntimeError):
        tud.default_collate([[1, 2], [3]])
    with pytest.raises(gn.GlassnetValueError, match="equal size"):
        gd.default_collate([[1, 2], [3]])
    for bad in ([object(), object()], [np.array(["a"]), np.array(["b"])]):
        with pytest.raises(TypeError, match="default_collate: batch must contain"):
            tud.default_collate(bad)
        with pytest.raises(gn.GlassnetTypeError, match="default_collate: batch must contain"):
            gd.default_collate(bad)


def test_default_collate_keeps_autograd_when_asked():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], requires_grad=True)
    batch = gd.default_collate([a, b])
    (batch * gn.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.numpy().tolist() == [1.0, 2.0] and b.grad.numpy().tolist() == [3.0, 4.0]


def test_public_names_cover_torch_utils_data():
    wanted = {"BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
              "RandomSampler", "Sampler", "SequentialSampler", "Subset", "SubsetRandomSampler",
              "TensorDataset", "WeightedRandomSampler", "default_collate", "default_convert",
              "get_worker_info", "random_split"}
    assert wanted <= set(dir(tud)) and wanted <= set(gd.__all__)
    ours = inspect.signature(gd.DataLoader).parameters
    theirs = inspect.signature(tud.DataLoader).parameters
    assert list(theirs) == list(ours)[: len(theirs)]  # same names, same order
    for name, p in theirs.items():
        assert ours[name].default == p.default, name
