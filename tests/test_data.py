"""gn.data: datasets, DataLoader, built-in datasets, CSV/NPZ loading."""

import random
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.data as gd
from glassnet.data import _mnist1d

TOYS = [gd.spiral, gd.circles, gd.xor, gd.moons, gd.gaussians]


def _ids(n):
    """A dataset whose feature is the sample's own index, so batches reveal the order."""
    X = np.arange(n, dtype=np.float32).reshape(n, 1) * np.ones((1, 3), np.float32)
    return gd.TensorDataset(X, np.arange(n, dtype=np.int64))


def _epoch(loader):
    return np.concatenate([y.numpy() for _, y in loader])


class ListDataset(gd.Dataset):
    """A generic dataset: per-sample __getitem__ only, Python numbers for labels."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return np.full(3, i, dtype=np.float32), i


# -- public surface ------------------------------------------------------------------


def test_all_is_sorted_and_complete():
    assert gd.__all__ == sorted(gd.__all__)
    public = {n for n in dir(gd) if not n.startswith("_")}
    assert public == set(gd.__all__)


def test_import_is_lazy_about_heavy_packages():
    code = (
        "import sys, glassnet.data; "
        "print(sorted(m for m in ('sklearn', 'scipy', 'mnist1d', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_optional_package_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "glassnet\[data\]"'):
        gd.digits()


# -- TensorDataset, Subset, random_split ------------------------------------------------


def test_tensor_dataset_items_and_views():
    X = np.arange(12, dtype=np.float32).reshape(6, 2)
    ds = gd.TensorDataset(X, gn.tensor([0, 1, 2, 0, 1, 2]))
    assert len(ds) == 6
    x, y = ds[4]
    assert isinstance(x, gn.Tensor) and x.shape == (2,) and y.shape == ()
    assert x.numpy().tolist() == [8.0, 9.0] and int(y.numpy()) == 1
    assert ds[-1][0].numpy().tolist() == [10.0, 11.0]
    assert ds.arrays[0] is X  # stored as given, no copy
    xs, ys = ds[1:3]
    assert xs.shape == (2, 2) and ys.numpy().tolist() == [1, 2]
    with pytest.raises(IndexError, match="out of range for 6"):
        ds[6]


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(gn.GlassnetValueError, match=r"sizes 5, 4 .*\(5, 2\), \(4,\)"):
        gd.TensorDataset(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(gn.GlassnetValueError, match="at least one"):
        gd.TensorDataset()
    with pytest.raises(gn.GlassnetValueError, match="0-d"):
        gd.TensorDataset(np.float32(1.0))


def test_subset_maps_indices_and_validates():
    ds = _ids(10)
    sub = gd.Subset(ds, [7, -1, 2])
    assert len(sub) == 3
    assert int(sub[1][1].numpy()) == 9
    assert sub.get_batch(np.array([2, 0]))[1].numpy().tolist() == [2, 7]
    with pytest.raises(IndexError, match="index 10 is out of range for a dataset of 10"):
        gd.Subset(ds, [1, 10])


@pytest.mark.parametrize("lengths", [[6, 3, 1], [0.6, 0.3, 0.1]])
def test_random_split_is_a_partition(lengths):
    parts = gd.random_split(_ids(10), lengths, seed=3)
    assert [len(p) for p in parts] == [6, 3, 1]
    union = np.concatenate([p.indices for p in parts])
    assert sorted(union.tolist()) == list(range(10))
    again = gd.random_split(_ids(10), lengths, seed=3)
    assert all((a.indices == b.indices).all() for a, b in zip(parts, again, strict=True))


def test_random_split_fractions_hand_out_the_remainder():
    assert [len(p) for p in gd.random_split(_ids(10), [0.33, 0.33, 0.34], seed=0)] == [4, 3, 3]


@pytest.mark.parametrize("lengths", [[5, 4], [0.5, 0.6], [-1, 11], []])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(gn.GlassnetValueError, match="random_split"):
        gd.random_split(_ids(10), lengths)


# -- DataLoader --------------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 10, 7])
def test_every_sample_once_per_epoch(shuffle, drop_last, batch_size):
    n = 10
    loader = gd.DataLoader(_ids(n), batch_size, shuffle=shuffle, drop_last=drop_last, seed=0)
    batches = list(loader)
    full, rest = divmod(n, batch_size)
    expected_batches = full + (rest > 0 and not drop_last)
    assert len(loader) == len(batches) == expected_batches
    sizes = [len(y) for _, y in batches]
    assert sizes[:full] == [batch_size] * full
    seen = np.concatenate([y.numpy() for _, y in batches])
    assert len(seen) == len(set(seen.tolist()))  # never twice
    if drop_last:
        assert len(seen) == full * batch_size
    else:
        assert sorted(seen.tolist()) == list(range(n))  # exactly once
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))
    for X, y in batches:  # features travel with their labels
        assert (X.numpy()[:, 0] == y.numpy()).all()


@pytest.mark.parametrize("n, batch_size, drop_last, expected", [
    (10, 3, False, 4), (10, 3, True, 3), (9, 3, False, 3), (9, 3, True, 3),
    (1, 1, False, 1), (5, 8, False, 1), (800, 32, False, 25),
])
def test_len_is_the_number_of_batches(n, batch_size, drop_last, expected):
    assert len(gd.DataLoader(_ids(n), batch_size, drop_last=drop_last)) == expected


def test_batch_dtypes_and_shapes():
    X, y = next(iter(gd.DataLoader(gd.spiral(50, seed=0), batch_size=16)))
    assert (X.shape, X.dtype, y.shape, y.dtype) == ((16, 2), np.float32, (16,), np.int64)


def test_same_seed_same_order_and_epochs_differ():
    a = gd.DataLoader(_ids(50), batch_size=8, shuffle=True, seed=7)
    b = gd.DataLoader(_ids(50), batch_size=8, shuffle=True, seed=7)
    epochs_a = [_epoch(a) for _ in range(3)]
    epochs_b = [_epoch(b) for _ in range(3)]
    for ea, eb in zip(epochs_a, epochs_b, strict=True):
        assert ea.tolist() == eb.tolist()
    assert epochs_a[0].tolist() != epochs_a[1].tolist()
    assert epochs_a[1].tolist() != epochs_a[2].tolist()
    assert epochs_a[0].tolist() != list(range(50))
    other = _epoch(gd.DataLoader(_ids(50), batch_size=8, shuffle=True, seed=8))
    assert other.tolist() != epochs_a[0].tolist()


def test_seed_none_follows_manual_seed():
    loader = gd.DataLoader(_ids(40), batch_size=6, shuffle=True)
    gn.manual_seed(123)
    first = [_epoch(loader), _epoch(loader)]
    gn.manual_seed(123)
    second = [_epoch(loader), _epoch(loader)]
    assert [e.tolist() for e in first] == [e.tolist() for e in second]
    assert first[0].tolist() != first[1].tolist()


def test_order_is_drawn_when_the_epoch_starts():
    loader = gd.DataLoader(_ids(30), batch_size=4, shuffle=True)
    gn.manual_seed(5)
    it = iter(loader)
    gn.manual_seed(99)  # reseeding after iter() must not change this epoch
    order = np.concatenate([y.numpy() for _, y in it])
    gn.manual_seed(5)
    assert order.tolist() == _epoch(loader).tolist()


def test_tensor_dataset_is_sliced_in_whole_batches(monkeypatch):
    ds = _ids(20)
    calls = []
    original = gd.TensorDataset.get_batch

    def counting(self, indices):
        calls.append(len(indices))
        return original(self, indices)

    def forbidden(self, index):
        raise AssertionError("per-sample __getitem__ used on an array-backed dataset")

    monkeypatch.setattr(gd.TensorDataset, "get_batch", counting)
    monkeypatch.setattr(gd.TensorDataset, "__getitem__", forbidden)
    loader = gd.DataLoader(gd.Subset(ds, np.arange(2, 20)), batch_size=4, shuffle=True, seed=0)
    assert sorted(_epoch(loader).tolist()) == list(range(2, 20))
    assert calls == [4, 4, 4, 4, 2]


def test_generic_dataset_is_read_per_sample_and_stacked():
    loader = gd.DataLoader(ListDataset(7), batch_size=3, shuffle=True, seed=1)
    batches = list(loader)
    X, y = batches[0]
    assert X.shape == (3, 3) and X.dtype == np.float32 and y.dtype == np.int64
    seen = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(seen.tolist()) == list(range(7))
    assert all((xb.numpy()[:, 0] == yb.numpy()).all() for xb, yb in batches)


def test_loader_rejects_bad_arguments():
    with pytest.raises(gn.GlassnetValueError, match="batch_size must be a positive int"):
        gd.DataLoader(_ids(5), batch_size=0)
    with pytest.raises(gn.GlassnetTypeError, match="seed"):
        gd.DataLoader(_ids(5), seed="x")


def test_collate_refuses_ragged_samples():
    with pytest.raises(gn.GlassnetValueError, match=r"same shape .*\(2,\), \(3,\)"):
        gd.collate([np.zeros(2), np.zeros(3)])


# -- toy datasets ----------------------------------------------------------------------


@pytest.mark.parametrize("make", TOYS, ids=lambda f: f.__name__)
def test_toy_shapes_dtypes_balance_and_determinism(make):
    ds = make(101, seed=4)
    X, y = ds.arrays
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [51, 50]
    assert ds.classes == (0, 1)
    assert np.abs(X).max() < 1.5
    X2, y2 = make(101, seed=4).arrays
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, make(101, seed=5).arrays[0])
    assert y[:20].min() != y[:20].max()  # rows are shuffled, not sorted by class


@pytest.mark.parametrize("make", [gd.spiral, gd.gaussians], ids=lambda f: f.__name__)
def test_toy_with_more_classes(make):
    X, y = make(100, classes=3, seed=0).arrays
    assert np.bincount(y).tolist() == [34, 33, 33]


@pytest.mark.parametrize("make", TOYS, ids=lambda f: f.__name__)
def test_toy_seed_none_follows_manual_seed(make):
    gn.manual_seed(11)
    a = make(30).arrays[0]
    gn.manual_seed(11)
    assert np.array_equal(a, make(30).arrays[0])


def test_toy_geometry_without_noise():
    X, y = gd.circles(400, noise=0.0, seed=0).arrays
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[y == 0].max() <= 0.5 + 1e-6 and r[y == 1].min() >= 0.7 - 1e-6
    X, y = gd.xor(400, noise=0.0, seed=0).arrays
    assert ((X[:, 0] * X[:, 1] > 0) == (y == 1)).all()
    X, y = gd.spiral(400, noise=0.0, seed=0).arrays
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-6
    X, y = gd.gaussians(2000, noise=0.1, seed=0).arrays
    np.testing.assert_allclose(X[y == 0].mean(0), [0.4243, 0.4243], atol=0.02)
    np.testing.assert_allclose(X[y == 1].mean(0), [-0.4243, -0.4243], atol=0.02)


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, "n must be a positive int"),
    ({"noise": -0.1}, "noise must be"),
    ({"classes": 1}, "classes must be at least 2"),
])
def test_toy_rejects_bad_arguments(kwargs, match):
    with pytest.raises(gn.GlassnetValueError, match=match):
        gd.spiral(**{"n": 10, **kwargs})


# -- registry --------------------------------------------------------------------------


def test_available_lists_every_dataset_with_one_line():
    names = gd.available()
    assert list(names) == sorted(names)
    assert set(names) == {"circles", "digits", "gaussians", "mnist1d", "moons", "spiral", "xor"}
    assert all(desc and "\n" not in desc for desc in names.values())


def test_load_toy_splits_are_fixed_and_disjoint():
    train, test = gd.load("moons", "train"), gd.load("moons", split="test")
    assert len(train) == 800 and len(test) == 200
    assert np.array_equal(train.arrays[0], gd.load("moons").arrays[0])
    assert not np.isin(test.arrays[0][:, 0], train.arrays[0][:, 0]).any()
    assert not np.array_equal(train.arrays[0], gd.load("moons", seed=1).arrays[0])
    assert len(gd.load("spiral", n=40, noise=0.0)) == 40


def test_load_rejects_unknown_names_and_splits():
    with pytest.raises(gn.GlassnetValueError, match="did you mean 'spiral'.*available: circles"):
        gd.load("spirals")
    with pytest.raises(gn.GlassnetValueError, match="split must be 'train' or 'test'"):
        gd.load("xor", split="valid")


# -- digits ------------------------------------------------------------------------------


def test_digits_shapes_range_and_fixed_split():
    pytest.importorskip("sklearn")
    train, test = gd.digits("train"), gd.digits("test")
    X, y = train.arrays
    assert X.shape == (1438, 64) and X.dtype == np.float32 and y.dtype == np.int64
    assert test.arrays[0].shape == (359, 64)
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(y.tolist()) == set(range(10)) and train.classes == tuple(range(10))
    assert np.array_equal(X, gd.digits().arrays[0])
    assert gd.digits("test", flatten=False).arrays[0].shape == (359, 1, 8, 8)
    # train and test are disjoint: no test image appears among the train images
    train_rows = {row.tobytes() for row in X}
    dup_free = [row.tobytes() not in train_rows for row in test.arrays[0]]
    assert sum(dup_free) >= 355  # the raw set holds a handful of identical images


# -- mnist1d -----------------------------------------------------------------------------


def test_mnist1d_defaults_match_the_package():
    data = pytest.importorskip("mnist1d.data")
    args = data.get_dataset_args()
    assert (args.num_samples, args.seed) == (_mnist1d.NUM_SAMPLES, _mnist1d.SEED)


def test_mnist1d_generates_into_cache_then_reads_it(monkeypatch, tmp_path):
    pytest.importorskip("mnist1d")
    monkeypatch.setenv("GLASSNET_CACHE", str(tmp_path))
    np.random.seed(0)  # noqa: NPY002 (the legacy global RNG must come back untouched)
    random.seed(0)
    np_before, py_before = np.random.get_state()[1].copy(), random.getstate()  # noqa: NPY002
    train = gd.mnist1d("train")
    assert (np.random.get_state()[1] == np_before).all()  # noqa: NPY002
    assert random.getstate() == py_before
    files = list(tmp_path.glob("*.npz"))
    assert [f.name for f in files] == [_mnist1d.mnist1d_cache_path().name]
    assert not list(tmp_path.glob("*.tmp"))  # the atomic write left no temp file
    X, y = train.arrays
    assert X.shape == (4000, 40) and X.dtype == np.float32
    assert y.shape == (4000,) and y.dtype == np.int64
    assert np.bincount(y, minlength=10).min() > 350 and y.max() == 9
    assert abs(float(X.mean())) < 0.05

    def no_generation(*args):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(_mnist1d, "_generate", no_generation)
    again, test = gd.mnist1d("train"), gd.load("mnist1d", split="test")
    assert np.array_equal(again.arrays[0], X) and np.array_equal(again.arrays[1], y)
    assert test.arrays[0].shape == (1000, 40) and test.arrays[1].shape == (1000,)


def test_mnist1d_regenerates_a_corrupt_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSNET_CACHE", str(tmp_path))
    monkeypatch.setattr(_mnist1d, "_package_version", lambda: "test")
    path = _mnist1d.mnist1d_cache_path(20, 1)
    path.write_bytes(b"PK\x03\x04 truncated")
    fake = {"x_train": np.ones((16, 40), np.float32), "y_train": np.arange(16) % 10,
            "x_test": np.ones((4, 40), np.float32), "y_test": np.arange(4)}
    monkeypatch.setattr(_mnist1d, "_generate", lambda n, seed: fake)
    ds = gd.mnist1d("test", num_samples=20, seed=1)
    assert ds.arrays[1].tolist() == [0, 1, 2, 3]
    with open(path, "rb") as handle, np.load(handle) as archive:  # rewritten, readable
        assert archive["x_train"].shape == (16, 40)


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("GLASSNET_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert gd.cache_dir() == tmp_path / "xdg" / "glassnet"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert gd.cache_dir() == tmp_path / "home" / ".cache" / "glassnet"
    monkeypatch.setenv("GLASSNET_CACHE", str(tmp_path / "mine"))
    assert gd.cache_dir() == tmp_path / "mine"


# -- CSV ---------------------------------------------------------------------------------


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_csv_with_header_and_named_label(tmp_path):
    path = _write(tmp_path, "a,label,b\n1,0,2.5\n3,1,4.5\n\n5,2,6.5\n")
    ds = gd.from_csv(path, label_column="label")
    X, y = ds.arrays
    assert X.dtype == np.float32 and X.tolist() == [[1, 2.5], [3, 4.5], [5, 6.5]]
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2]
    assert ds.feature_names == ("a", "b")
    assert gd.from_csv(path, label_column=1).arrays[1].tolist() == [0, 1, 2]


def test_csv_without_header_last_column_labels(tmp_path):
    ds = gd.from_csv(_write(tmp_path, "1,2,0\n3,4,1\n"))
    assert ds.arrays[0].tolist() == [[1, 2], [3, 4]] and ds.arrays[1].tolist() == [0, 1]
    assert ds.feature_names is None
    forced = gd.from_csv(_write(tmp_path, "1,2,0\n3,4,1\n"), header=True)
    assert len(forced) == 1 and forced.feature_names == ("1", "2")


def test_csv_text_labels_become_classes_and_float_labels_stay_float(tmp_path):
    ds = gd.from_csv(_write(tmp_path, "5.1,3.5,setosa\n6.2,2.9,versicolor\n4.9,3.0,setosa\n"))
    assert ds.classes == ("setosa", "versicolor") and ds.arrays[1].tolist() == [0, 1, 0]
    reg = gd.from_csv(_write(tmp_path, "x,t\n1,0.5\n2,1.5\n"))
    assert reg.arrays[1].dtype == np.float32 and reg.arrays[1].tolist() == [0.5, 1.5]
    unlabeled = gd.from_csv(_write(tmp_path, "1,2\n3,4\n"), label_column=None)
    assert len(unlabeled.arrays) == 1 and unlabeled.arrays[0].shape == (2, 2)


@pytest.mark.parametrize("text, kwargs, match", [
    ("a,b,y\n1,2,0\n", {"label_column": "target"},
     r"no column named 'target'; the columns are: 'a', 'b', 'y'"),
    ("1,2,0\n", {"label_column": "y"}, "no header row"),
    ("a,b,y\n1,2,0\n", {"label_column": 3}, "out of range for 3 columns"),
    ("a,b,y\n1,2,0\n3,oops,1\n", {}, r"line 3, column 'b' \(index 1\): expected a number, "
     r"found 'oops'"),
    ("a,b,y\n1,,0\n", {}, "line 2, column 'b' .*an empty cell"),
    ("a,b,y\n1,2,0\n3,nan,1\n", {}, r"NaN in the features at line 3, column 'b'"),
    ("a,b,y\n1,inf,0\n", {}, "infinite value"),
    ("a,b,y\n1,2,0\n3,4\n", {}, "line 3 has 2 cells, expected 3"),
    ("a,b,y\n", {}, "header row but no data rows"),
    ("\n\n", {}, "no rows"),
    ("1,2,cat\n3,4,dog\n5,6,7\n", {}, "mixes numbers and text; line 3 holds '7'"),
    ("1,2,0\n3,4,nan\n", {}, "labels contain NaN"),
])
def test_csv_bad_input_errors(tmp_path, text, kwargs, match):
    path = _write(tmp_path, text)
    with pytest.raises(gn.GlassnetValueError, match=match) as info:
        gd.from_csv(path, **kwargs)
    assert "data.csv" in str(info.value)


def test_csv_empty_and_missing_files(tmp_path):
    with pytest.raises(gn.GlassnetValueError, match=r"empty\.csv.* is empty \(0 bytes\)"):
        gd.from_csv(_write(tmp_path, "", "empty.csv"))
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        gd.from_csv(tmp_path / "nope.csv")


# -- NPZ ---------------------------------------------------------------------------------


def test_npz_round_trip(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.arange(12.0).reshape(4, 3), y=np.array([0, 1, 1, 0], np.int32))
    ds = gd.from_npz(path)
    assert ds.arrays[0].dtype == np.float32 and ds.arrays[0].shape == (4, 3)
    assert ds.arrays[1].dtype == np.int64 and ds.arrays[1].tolist() == [0, 1, 1, 0]
    np.savez(path, feats=np.ones((2, 1, 2, 2)), target=np.array([0.25, 1.0]))
    ds = gd.from_npz(path, x_key="feats", y_key="target")
    assert ds.arrays[0].shape == (2, 1, 2, 2) and ds.arrays[1].dtype == np.float32


@pytest.mark.parametrize("arrays, kwargs, match", [
    ({"data": np.ones((2, 2)), "y": np.zeros(2)}, {},
     r"no array named 'X' \(features\); the archive holds: 'data', 'y'"),
    ({"X": np.ones((2, 2))}, {}, "no array named 'y'"),
    ({"X": np.ones((3, 2)), "y": np.zeros(2)}, {}, "'X' has 3 samples .* 'y' has 2"),
    ({"X": np.array([[1.0, np.nan]]), "y": np.zeros(1)}, {}, "NaN in the features at sample 0"),
    ({"X": np.array([["a", "b"]]), "y": np.zeros(1)}, {}, "dtype <U1; expected numbers"),
    ({"X": np.zeros((0, 2)), "y": np.zeros(0)}, {}, "holds no samples"),
    ({"X": np.array([[1], None], dtype=object), "y": np.zeros(2)}, {}, "never unpickles"),
])
def test_npz_bad_input_errors(tmp_path, arrays, kwargs, match):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(gn.GlassnetValueError, match=match) as info:
        gd.from_npz(path, **kwargs)
    assert "bad.npz" in str(info.value)


def test_npz_not_an_archive(tmp_path):
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(gn.GlassnetValueError, match=r"text\.npz.*not a readable \.npz"):
        gd.from_npz(text)
    single = tmp_path / "single.npy"
    np.save(single, np.ones(3))
    with pytest.raises(gn.GlassnetValueError, match=r"single array \(\.npy format\)"):
        gd.from_npz(single)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(gn.GlassnetValueError, match="0 bytes"):
        gd.from_npz(empty)
