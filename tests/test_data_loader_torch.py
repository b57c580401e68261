"""DataLoader against torch.utils.data.DataLoader: arguments, conflicts, batches.

One program (``_program``) is written once against the ``torch.utils.data`` names and run
twice, with ``torch`` and with ``glassnet`` substituted; its checks hold for any seed.
"""

import numpy as np
import pytest

import glassnet as gn
import glassnet.data as gd
from glassnet.data import _worker

torch = pytest.importorskip("torch")
tud = torch.utils.data


def _plain(value):
    if isinstance(value, (gn.Tensor, torch.Tensor)):
        return ("T", str(value.numpy().dtype), value.numpy().tolist())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_plain(v) for v in value])
    return value


def _program(fw, data):
    """A small PyTorch-style data pipeline; ``fw`` is torch or glassnet, ``data`` its
    ``torch.utils.data``. Returns what it saw, for the caller to compare."""

    class Squares(data.Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return {"x": np.array([i, i * i], dtype=np.float32), "y": i % 3, "w": float(i)}

    dataset = Squares(23)
    seen = {}
    loader = data.DataLoader(dataset, batch_size=5)  # sequential: identical batches
    seen["sequential"] = [_plain(b) for b in loader]
    seen["len"] = len(loader)
    shuffled = data.DataLoader(dataset, batch_size=4, shuffle=True, drop_last=True)
    seen["shuffled_epochs"] = []
    for _ in range(3):
        ids = [int(i) for b in shuffled for i in b["x"][:, 0].tolist()]
        seen["shuffled_epochs"].append(ids)
    sampler = data.RandomSampler(dataset, replacement=True, num_samples=12)
    batches = list(data.DataLoader(dataset, batch_size=5, sampler=sampler))
    seen["replacement_sizes"] = [len(b["y"]) for b in batches]
    subset = data.SubsetRandomSampler([1, 4, 9, 16])
    seen["subset"] = sorted(int(i) for b in data.DataLoader(dataset, batch_size=3, sampler=subset)
                            for i in b["x"][:, 0].tolist())
    batch_sampler = data.BatchSampler(data.SequentialSampler(range(7)), 3, drop_last=False)
    seen["batch_sampler"] = [_plain(b) for b in data.DataLoader(dataset, batch_sampler=batch_sampler)]
    pairs = data.TensorDataset(fw.arange(10), fw.arange(10) * 10)
    seen["tensor_pairs"] = [_plain(b) for b in data.DataLoader(pairs, batch_size=4)]
    seen["collate_fn"] = [b for b in data.DataLoader(list(range(7)), batch_size=3,
                                                     collate_fn=lambda s: sum(s))]
    seen["unbatched"] = [_plain(s) for s in data.DataLoader(pairs, batch_size=None)][:3]
    return seen


def test_one_program_under_torch_and_glassnet():
    ours, theirs = _program(gn, gd), _program(torch, tud)
    for key in ("sequential", "len", "replacement_sizes", "subset", "batch_sampler",
                "tensor_pairs", "collate_fn", "unbatched"):
        assert ours[key] == theirs[key], key
    assert ours["sequential"][0]["y"] == ("T", "int64", [0, 1, 2, 0, 1])
    assert ours["sequential"][0]["w"] == ("T", "float64", [0.0, 1.0, 2.0, 3.0, 4.0])
    for seen in (ours, theirs):
        epochs = seen["shuffled_epochs"]
        assert [len(e) for e in epochs] == [20, 20, 20]  # 5 full batches of 4, 3 dropped
        assert all(len(set(e)) == 20 for e in epochs)  # never twice
        assert len({tuple(e) for e in epochs}) == 3  # a new order each epoch
        assert seen["replacement_sizes"] == [5, 5, 2]
        assert seen["subset"] == [1, 4, 9, 16]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (4, False), (4, True), (10, True)])
def test_tensor_dataset_epochs_like_torch(shuffle, batch_size, drop_last):
    x = np.arange(30, dtype=np.float64).reshape(10, 3)
    y = np.arange(10)
    ours = gd.DataLoader(gd.TensorDataset(x, y), batch_size, shuffle=shuffle, drop_last=drop_last)
    theirs = tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size,
                            shuffle=shuffle, drop_last=drop_last)
    a, b = list(ours), list(theirs)
    assert len(ours) == len(theirs) == len(a) == len(b)
    assert [type(batch) for batch in a] == [type(batch) for batch in b] == [list] * len(a)
    assert [len(batch[1]) for batch in a] == [len(batch[1]) for batch in b]
    labels = [np.concatenate([batch[1].numpy() for batch in run]) for run in (a, b)]
    if shuffle:
        for seen in labels:  # never twice; all of them unless the short batch was dropped
            assert len(set(seen.tolist())) == len(seen) == (len(a) * batch_size if drop_last else 10)
    else:
        assert [_plain(batch) for batch in a] == [_plain(batch) for batch in b]
    for xb, yb in a:
        np.testing.assert_array_equal(xb.numpy()[:, 0], 3 * yb.numpy())


def test_iterable_dataset_batches_like_torch():
    def stream(base):
        class Count(base):
            def __init__(self, n):
                self.n = n

            def __iter__(self):
                return iter(range(self.n))

            def __len__(self):
                return self.n

        return Count(8)

    for kwargs in ({"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None}):
        ours = gd.DataLoader(stream(gd.IterableDataset), **kwargs)
        theirs = tud.DataLoader(stream(tud.IterableDataset), **kwargs)
        assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
        assert len(ours) == len(theirs)


def test_concat_dataset_like_torch():
    parts = [list(range(3)), list(range(10, 15))]
    ours, theirs = gd.ConcatDataset(parts), tud.ConcatDataset(parts)
    assert len(ours) == len(theirs) == 8
    assert [ours[i] for i in range(-8, 8)] == [theirs[i] for i in range(-8, 8)]
    assert ours.cumulative_sizes == theirs.cumulative_sizes


def _rows(n=6):
    return tud.TensorDataset(torch.arange(n)), gd.TensorDataset(np.arange(n))


@pytest.mark.parametrize("kwargs", [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0, 1]], "batch_size": 2},
    {"batch_sampler": [[0, 1]], "shuffle": True},
    {"batch_sampler": [[0, 1]], "sampler": [0]},
    {"batch_sampler": [[0, 1]], "drop_last": True},
    {"batch_size": None, "drop_last": True},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1},
    {"persistent_workers": True},
    {"multiprocessing_context": "spawn"},
], ids=lambda k: "-".join(k))
def test_argument_conflicts_raise_like_torch(kwargs, monkeypatch):
    monkeypatch.setattr(_worker, "_warned", True)
    torch_rows, gn_rows = _rows()
    with pytest.raises(ValueError):
        tud.DataLoader(torch_rows, **kwargs)
    with pytest.raises(gn.GlassnetValueError, match="DataLoader"):
        gd.DataLoader(gn_rows, **kwargs)


def test_iterable_dataset_refuses_sampling_options_like_torch():
    class Stream(gd.IterableDataset):
        def __iter__(self):
            return iter(range(4))

    class TorchStream(tud.IterableDataset):
        def __iter__(self):
            return iter(range(4))

    for kwargs in ({"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0]]}):
        with pytest.raises(ValueError, match="IterableDataset"):
            tud.DataLoader(TorchStream(), **kwargs)
        with pytest.raises(gn.GlassnetValueError, match="IterableDataset: expected unspecified"):
            gd.DataLoader(Stream(), **kwargs)


def test_fixed_attributes_cannot_be_set_after_init():
    torch_rows, gn_rows = _rows()
    for name in ("batch_size", "sampler", "drop_last", "dataset"):
        with pytest.raises(ValueError, match="should not be set after"):
            setattr(tud.DataLoader(torch_rows), name, None)
        with pytest.raises(gn.GlassnetValueError, match="should not be set after"):
            setattr(gd.DataLoader(gn_rows), name, None)
    loader = gd.DataLoader(gn_rows)
    loader.num_workers = 0  # others may change, as in PyTorch
    loader.collate_fn = gd.default_collate


def test_workers_run_in_process_with_one_warning(monkeypatch):
    monkeypatch.setattr(_worker, "_warned", False)
    calls, infos = [], []

    class Probe(gd.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            infos.append(gd.get_worker_info())
            return np.float64(i)

    with pytest.warns(gn.GlassnetWarning, match="num_workers=2 starts no worker processes"):
        loader = gd.DataLoader(Probe(), batch_size=3, num_workers=2, pin_memory=True,
                               worker_init_fn=calls.append, prefetch_factor=4, timeout=5)
    second = gd.DataLoader(Probe(), batch_size=3, num_workers=2)  # no second warning
    assert loader.prefetch_factor == 4 and second.prefetch_factor == 2
    batches = [b.numpy().tolist() for b in loader]
    assert batches == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0]]
    assert batches == [b.numpy().tolist() for b in gd.DataLoader(Probe(), batch_size=3)]
    list(loader)
    assert calls == [0, 0]  # worker_init_fn(0) once per epoch
    assert {(i.id, i.num_workers) for i in infos[:7]} == {(0, 1)}
    assert infos[7:14] == [None] * 7 and gd.get_worker_info() is None
    persistent = gd.DataLoader(Probe(), num_workers=1, persistent_workers=True,
                               worker_init_fn=calls.append)
    list(persistent), list(persistent)
    assert calls == [0, 0, 0]


def test_getitems_reads_a_batch_in_one_call():
    class Batched(gd.Dataset):
        def __init__(self):
            self.calls = []

        def __len__(self):
            return 5

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [np.float32(i) for i in indices]

    ds = Batched()
    assert [b.numpy().tolist() for b in gd.DataLoader(ds, batch_size=2)] == [[0, 1], [2, 3], [4]]
    assert ds.calls == [[0, 1], [2, 3], [4]]


def test_tensor_dataset_subclass_with_own_getitem_is_read_per_sample():
    class Doubled(gd.TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    loader = gd.DataLoader(Doubled(np.arange(4.0), np.arange(4)), batch_size=4)
    x, y = next(iter(loader))
    assert x.numpy().tolist() == [0.0, 2.0, 4.0, 6.0] and y.numpy().tolist() == [0, 1, 2, 3]


def test_generator_argument_and_iterator_length():
    rows = gd.TensorDataset(np.arange(20))

    def epoch(**kw):
        return [int(v) for b in gd.DataLoader(rows, batch_size=6, shuffle=True, **kw)
                for v in b[0].numpy()]

    assert epoch(generator=np.random.default_rng(4)) == epoch(seed=4)
    with pytest.raises(gn.GlassnetValueError, match="not both"):
        gd.DataLoader(rows, generator=np.random.default_rng(0), seed=0)
    with pytest.raises(gn.GlassnetTypeError, match="generator must be"):
        gd.DataLoader(rows, shuffle=True, generator="x")
    it = iter(gd.DataLoader(rows, batch_size=6))
    assert len(it) == len(iter(tud.DataLoader(tud.TensorDataset(torch.arange(20)), batch_size=6)))
    assert next(it)[0].numpy().tolist() == [0, 1, 2, 3, 4, 5]
