"""Hostile and damaged data files (issue #21): CSV and NPZ loaders refuse special files
without blocking, never allocate what a file merely claims, bound their memory by the
data, name the row and column of a value the float dtype cannot hold, and every failure
is a GlassnetError — one line and exit code 2 from the command line."""

import contextlib
import io as pyio
import os
import pickle
import signal
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import data as gd
from glassnet import train
from glassnet.cli import main


@contextlib.contextmanager
def _no_hang(seconds=20):
    """Fail (instead of hanging the test run) if the body blocks for ``seconds``."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expire(*_):
        raise TimeoutError(f"blocked for {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def _peak_bytes(limit):
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"peak {peak:,} bytes, expected under {limit:,}"


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _cli_error(capsys, *args):
    """Run ``glassnet *args``; it must exit 2 with one line on stderr. Returns the line."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


# -- special files --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("loader, name", [(gd.from_csv, "x.csv"), (gd.from_npz, "x.npz"),
                                          (gn.load, "m.safetensors"), (gn.io.load_metadata, "m.st"),
                                          (train.Checkpoint.load, "c.st"),
                                          (gn.models.load_model, "model.safetensors")])
def test_a_fifo_is_refused_without_blocking(tmp_path, loader, name):
    path = tmp_path / name
    os.mkfifo(path)
    with _no_hang(), pytest.raises(gn.GlassnetError, match="is a FIFO .*regular files only"):
        loader(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("loader", [gd.from_csv, gd.from_npz, gn.load, train.Checkpoint.load])
def test_dev_zero_is_a_character_device_not_a_file(loader):
    with _no_hang(), pytest.raises(gn.GlassnetError, match="'/dev/zero' is a character device"):
        loader("/dev/zero")


def test_a_directory_named_like_a_data_file(tmp_path, capsys):
    (tmp_path / "x.csv").mkdir()
    with pytest.raises(gn.io.NotARegularFileError, match="x.csv' is a directory, not a CSV file"):
        gd.from_csv(tmp_path / "x.csv")
    line = _cli_error(capsys, "train", "--dataset", str(tmp_path / "x.csv"), "--no-progress")
    assert line.startswith("glassnet train: error: from_csv") and "is a directory" in line


def test_missing_files_are_still_file_not_found_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        gd.from_npz(tmp_path / "nope.npz")
    with pytest.raises(gn.GlassnetError, match="no such file"):
        gd.from_csv(tmp_path / "nope.csv")


# -- CSV ------------------------------------------------------------------------------


def test_a_value_that_overflows_float32_is_refused_naming_row_and_column(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n3,1e39,1\n")
    with pytest.raises(gn.GlassnetValueError, match=r"line 3, column 'b' \(index 1\): 1e39 does "
                                                    r"not fit in float32 .*would become infinite"):
        gd.from_csv(path)
    assert gd.from_csv(_write(tmp_path, "a,y\n3e38,0\n-3e38,1\n")).arrays[0].max() == np.float32(3e38)


def test_a_float_label_that_overflows_is_refused(tmp_path):
    with pytest.raises(gn.GlassnetValueError, match=r"line 3, label column .*1e\+39 does not fit"):
        gd.from_csv(_write(tmp_path, "a,y\n1,0.5\n2,1e39\n"))
    with pytest.raises(gn.GlassnetValueError, match="a label of 1e\\+20 does not fit in int64"):
        gd.from_csv(_write(tmp_path, "a,y\n1,0\n2,1e20\n"))


def test_npz_features_that_overflow_float32_are_refused(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.array([[1.0, 2.0], [3.0, 1e39]]), y=np.array([0, 1]))
    with pytest.raises(gn.GlassnetValueError, match=r"1e\+39 at sample 1, flat feature 1 of 'X' "
                                                    "does not fit in float32"):
        gd.from_npz(path)


def test_a_huge_label_does_not_make_a_billion_classes(tmp_path, capsys):
    rows = "\n".join(f"{i},{i % 2}" for i in range(20)) + "\n5,1000000000\n"
    path = _write(tmp_path, "a,y\n" + rows)
    config = train.RunConfig(dataset=str(path), epochs=1, out=str(tmp_path / "run"))
    with _peak_bytes(20_000_000), pytest.raises(
            gn.GlassnetValueError, match="the largest label is 1,000,000,000 but there are only "
                                         "21 samples"):
        train.run(config, progress=False)
    line = _cli_error(capsys, "train", "--dataset", str(path), "--no-progress",
                      "--out", str(tmp_path / "run"))
    assert "1,000,000,000" in line


def test_too_many_classes_for_the_limit(tmp_path):
    path = _write(tmp_path, "a,y\n" + "\n".join(f"{i},{i}" for i in range(50)) + "\n")
    with gn.io.LIMITS.raised(max_classes=10), pytest.raises(
            gn.GlassnetValueError, match=r"ask for \d+ classes, over the limit of 10 "
                                         r"\(glassnet.io.LIMITS.max_classes"):
        train.run(train.RunConfig(dataset=str(path), epochs=1, out=str(tmp_path / "r")),
                  progress=False)
    text = _write(tmp_path, "a,y\n" + "\n".join(f"{i},c{i}" for i in range(50)) + "\n", "t.csv")
    with gn.io.LIMITS.raised(max_classes=10), pytest.raises(
            gn.GlassnetValueError, match=r"label column names \d+ classes, over the limit of 10"):
        gd.from_csv(text)


def test_a_one_row_csv_is_one_line_exit_2(tmp_path, capsys):
    path = _write(tmp_path, "a,b,y\n1,2,0\n")
    line = _cli_error(capsys, "train", "--dataset", str(path), "--no-progress")
    assert "1 sample(s); the 80/20 split needs at least 5" in line


def test_a_field_larger_than_the_csv_field_limit(tmp_path, capsys):
    path = _write(tmp_path, "a,y\n1,0\n" + "9" * 200_000 + ",1\n")
    with pytest.raises(gn.GlassnetValueError, match="line 3: not a readable CSV row .*field limit"):
        gd.from_csv(path)
    assert "field limit" in _cli_error(capsys, "train", "--dataset", str(path), "--no-progress")


def test_a_line_over_the_line_limit(tmp_path):
    path = _write(tmp_path, "a,y\n1,0\n" + "1," * 600 + "0\n")
    with gn.io.LIMITS.raised(max_line_chars=1000), pytest.raises(
            gn.GlassnetValueError, match=r"line 3 is longer than 1,000 characters "
                                         r"\(glassnet.io.LIMITS.max_line_chars\)"):
        gd.from_csv(path)


def test_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"a,y\n1,0\n\xe9t\xe9,1\n")
    with pytest.raises(gn.GlassnetValueError, match="not UTF-8 text"):
        gd.from_csv(path)


def test_a_csv_loads_in_memory_bounded_by_its_data(tmp_path):
    """The rows are never held as Python lists: 60,000 rows × 8 columns (3.3 MB of text,
    a 1.7 MB float32 result) peak under 6 MB (3.9 MB measured) — the old loader peaked
    at 48.5 MB."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60_000, 7)).round(4)
    y = rng.integers(0, 3, 60_000)
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write("a,b,c,d,e,f,g,label\n")
        for row, label in zip(X.tolist(), y.tolist(), strict=True):
            f.write(",".join(map(str, row)) + f",{label}\n")
    with _peak_bytes(6_000_000):
        ds = gd.from_csv(path)
    np.testing.assert_array_equal(ds.arrays[0], X.astype(np.float32))
    np.testing.assert_array_equal(ds.arrays[1], y)
    assert ds.feature_names == ("a", "b", "c", "d", "e", "f", "g")


def test_quoted_cells_with_line_breaks_and_blank_lines_still_load(tmp_path):
    path = _write(tmp_path, 'name,a,y\n"x\ny",1,0\n\n\n"p,q",2,1\n')
    with pytest.raises(gn.GlassnetValueError, match=r"line 3, column 'name' .* found 'x\\ny'"):
        gd.from_csv(path)  # the error names the line where the quoted cell ends
    path = _write(tmp_path, 'a,"b\nc",y\n1,2,0\n\n\n3,4,1\n\n')
    ds = gd.from_csv(path)
    assert ds.arrays[0].tolist() == [[1, 2], [3, 4]] and ds.feature_names == ("a", "b\nc")


# -- NPZ ------------------------------------------------------------------------------


def _zip_bomb(path, megabytes):
    """An .npz whose one member is a float32 array of ``megabytes`` MB of zeros, deflated
    (about 1000:1)."""
    header = pyio.BytesIO()
    count = megabytes * 2**20 // 4
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (count,)})
    zeros = bytes(2**20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("X.npy", "w", force_zip64=True) as member:
        member.write(header.getvalue())
        for _ in range(megabytes):
            member.write(zeros)


def test_a_zip_bomb_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "bomb.npz"
    _zip_bomb(path, 300)
    assert os.path.getsize(path) < 2_000_000
    with _peak_bytes(2_000_000), pytest.raises(
            gn.GlassnetValueError, match=r"expand to 314,572,\d+ bytes from .* on disk \(x[\d,]+\), "
                                         r"over the limit .* a zip bomb\?"):
        gd.from_npz(path)


def test_an_npy_header_claiming_a_huge_shape_allocates_nothing(tmp_path):
    header = pyio.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                                  "shape": (10**10,)})
    path = tmp_path / "liar.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("X.npy", header.getvalue() + bytes(16))
        archive.writestr("y.npy", header.getvalue())
    with _peak_bytes(2_000_000), pytest.raises(
            gn.GlassnetValueError, match=r"array 'X' declares shape \(10000000000,\) of float64 "
                                         r"\(80,000,000,000 bytes\) but its member holds 16"):
        gd.from_npz(path)


def _valid_npz_bytes():
    buffer = pyio.BytesIO()
    np.savez(buffer, X=np.arange(200.0).reshape(100, 2), y=np.arange(100) % 2)
    return buffer.getvalue()


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_a_truncated_npz_says_so_not_python_objects(tmp_path, cut):
    data = _valid_npz_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[:int(len(data) * cut)])
    with pytest.raises(gn.GlassnetValueError, match="truncated") as info:
        gd.from_npz(path)
    assert "Python objects" not in str(info.value)


def test_a_damaged_npz_member_fails_its_crc(tmp_path):
    data = bytearray(_valid_npz_bytes())
    data[200] ^= 0xFF  # inside X's data (stored, not compressed)
    path = tmp_path / "bad.npz"
    path.write_bytes(bytes(data))
    with pytest.raises(gn.GlassnetValueError, match="truncated or damaged .*CRC"):
        gd.from_npz(path)


@pytest.mark.parametrize("data, pattern", [
    (b"garbage that is not an archive at all", "not a zip file .* starts with b'garbage "),
    (pickle.dumps({"X": [1, 2]}), "it is a pickle file, and glassnet never unpickles"),
    (b"PK\x03\x04" + bytes(60), "not a readable .npz archive"),
])
def test_garbage_npz_files_get_no_allow_pickle_advice(tmp_path, capsys, data, pattern):
    path = tmp_path / "garbage.npz"
    path.write_bytes(data)
    with pytest.raises(gn.GlassnetValueError, match=pattern) as info:
        gd.from_npz(path)
    assert "allow_pickle" not in str(info.value)
    line = _cli_error(capsys, "train", "--dataset", str(path), "--no-progress")
    assert "allow_pickle" not in line and "garbage.npz" in line


def test_too_many_members_are_refused_from_the_zip_directory(tmp_path):
    path = tmp_path / "many.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(30):
            archive.writestr(f"a{i}.npy", b"")
    with gn.io.LIMITS.raised(max_archive_members=10), pytest.raises(
            gn.GlassnetValueError, match=r"holds 30 members, over the limit of 10"):
        gd.from_npz(path)


def test_fortran_order_and_saved_arrays_round_trip(tmp_path):
    path = tmp_path / "f.npz"
    X = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    np.savez_compressed(path, X=X, y=np.array([0, 1, 0, 1], np.uint8))
    ds = gd.from_npz(path)
    np.testing.assert_array_equal(ds.arrays[0], X)
    assert ds.arrays[1].tolist() == [0, 1, 0, 1]


def test_a_hostile_cache_file_is_a_cache_miss(tmp_path):
    from glassnet.data._cache import load_npz_or_none

    _zip_bomb(tmp_path / "bomb.npz", 100)
    with gn.io.LIMITS.raised(max_expansion=2):
        assert load_npz_or_none(tmp_path / "bomb.npz", ["X"]) is None
    (tmp_path / "junk.npz").write_bytes(b"junk")
    assert load_npz_or_none(tmp_path / "junk.npz", ["X"]) is None
    np.savez(tmp_path / "ok.npz", X=np.ones(3))
    assert load_npz_or_none(tmp_path / "ok.npz", ["X"])["X"].tolist() == [1, 1, 1]


# -- one-line errors from the command line ----------------------------------------------


def test_memory_errors_are_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import glassnet.data._files as files

    def explode(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(files, "read_table", explode)
    path = _write(tmp_path, "a,y\n1,0\n2,1\n")
    line = _cli_error(capsys, "train", "--dataset", str(path), "--no-progress")
    assert line == "glassnet train: error: out of memory — the data or model is larger than this " \
                   "machine can hold"


def test_a_fifo_dataset_from_the_command_line_in_a_child_process(tmp_path):
    """The whole command, as a user runs it: no hang, one line, exit code 2."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    os.mkfifo(tmp_path / "d.csv")
    result = subprocess.run([sys.executable, "-m", "glassnet", "train", "--dataset",
                             str(tmp_path / "d.csv")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "FIFO" in result.stderr



@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_ratings_and_history_loaders_refuse_a_fifo_instead_of_waiting(tmp_path):
    from glassnet import recommend
    from glassnet.train import History

    for name, load in (("ratings.csv", recommend.Ratings.from_csv), ("history.json", History.load)):
        fifo = tmp_path / name
        os.mkfifo(fifo)
        with pytest.raises(gn.GlassnetValueError, match="FIFO"):
            load(fifo)
