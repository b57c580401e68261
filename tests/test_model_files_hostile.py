"""Hostile and damaged files: each fails fast with a GlassnetError that names the file,
allocates nothing near the sizes the file claims, and never runs code; a fuzz run over
mutated files finds no other exception."""

import atexit
import json
import os
import pickle
import shutil
import struct
import tempfile
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassnet as gn
from byte_edits import KINDS as _KINDS
from byte_edits import mutate as _mutate
from glassnet import io, train


def _valid_bytes():
    from safetensors.numpy import save

    return save({"weight": np.arange(12, dtype=np.float32).reshape(3, 4),
                 "bias": np.arange(3, dtype=np.float64), "steps": np.array(7, np.int64),
                 "mask": np.array([True, False])},
                metadata={"format": "glassnet", "format_version": "1"})


VALID = _valid_bytes()


def _file(tmp_path, data, name="m.safetensors"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _with_header(header, data=b""):
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _check_rejected(path, pattern, peak_limit=1_000_000):
    tracemalloc.start()
    try:
        for reader in (gn.load, io.load_metadata, train.Checkpoint.load):
            with pytest.raises(gn.GlassnetError, match=pattern) as info:
                reader(path)
            assert str(path) in str(info.value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_limit, f"loading a hostile file allocated {peak:,} bytes"


def test_the_valid_file_loads(tmp_path):
    state = gn.load(_file(tmp_path, VALID))
    assert state["weight"].numpy()[2, 3] == 11 and state["steps"].numpy() == 7
    assert state["mask"].numpy().tolist() == [True, False]


@pytest.mark.parametrize("size", [0, 3, 8, 20, len(VALID) - 1])
def test_truncated_files(tmp_path, size):
    _check_rejected(_file(tmp_path, VALID[:size]), "truncated|header|claim|bytes")


def test_huge_claimed_header_size(tmp_path):
    _check_rejected(_file(tmp_path, struct.pack("<Q", 2**63) + b"{}"), "only 2 bytes follow")
    _check_rejected(_file(tmp_path, struct.pack("<Q", 10_000) + b"{}"), "only 2 bytes follow")
    with io.LIMITS.raised(max_header_bytes=64):
        _check_rejected(_file(tmp_path, VALID), r"header is \d+ bytes, over the limit of 64 "
                                                r"\(glassnet.io.LIMITS.max_header_bytes")


@pytest.mark.parametrize("shape", [[10**12], [2**31, 2**31], [2**62, 2**62, 2**62]])
def test_header_claiming_huge_shapes_allocates_nothing(tmp_path, shape):
    nbytes = int(np.prod(shape, dtype=object)) * 4
    path = _file(tmp_path, _with_header({"w": {"dtype": "F32", "shape": shape,
                                               "data_offsets": [0, nbytes]}}, b"\0" * 16))
    _check_rejected(path, "claim .* data bytes but the file holds 16|integers below 2\\*\\*48")


def test_an_empty_shape_too_large_for_numpy(tmp_path):
    """Found by the fuzzer: zero elements, but NumPy refuses the shape itself."""
    path = _file(tmp_path, _with_header({"w": {"dtype": "F32", "shape": [0, 2**47, 2**47],
                                               "data_offsets": [0, 0]}}))
    _check_rejected(path, r"shape \(0, 140737488355328, 140737488355328\), larger than any array")


def test_shape_and_offsets_that_disagree(tmp_path):
    path = _file(tmp_path, _with_header({"w": {"dtype": "F32", "shape": [1000],
                                               "data_offsets": [0, 8]}}, b"\0" * 8))
    _check_rejected(path, r"needs 4,000 bytes but its offsets span 8")


@pytest.mark.parametrize("dtype, pattern", [("BF16", "bfloat16"), ("F8_E4M3", "dtype"),
                                            ("O", "dtype"), (5, "dtype")])
def test_wrong_dtypes(tmp_path, dtype, pattern):
    path = _file(tmp_path, _with_header({"w": {"dtype": dtype, "shape": [2],
                                               "data_offsets": [0, 4]}}, b"\0" * 4))
    _check_rejected(path, pattern)


@pytest.mark.parametrize("entry", [
    {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]},
    {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]},
    {"dtype": "F32", "shape": "1", "data_offsets": [0, 4]},
    {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]},
    {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "extra": 1},
    {"dtype": "F32", "shape": [1] * 40, "data_offsets": [0, 4]},
    [1, 2, 3],
])
def test_malformed_entries(tmp_path, entry):
    _check_rejected(_file(tmp_path, _with_header({"w": entry}, b"\0" * 4)), "tensor 'w'")


def test_overlapping_tensors(tmp_path):
    header = {"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
              "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}
    _check_rejected(_file(tmp_path, _with_header(header, b"\0" * 6)), "overlapping")


def test_duplicate_names_and_bad_metadata(tmp_path):
    raw = b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},' \
          b'"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}'
    _check_rejected(_file(tmp_path, struct.pack("<Q", len(raw)) + raw + b"\0"), "appears twice")
    _check_rejected(_file(tmp_path, _with_header({"__metadata__": {"a": 1}})), "__metadata__")


@pytest.mark.parametrize("data", [b"", b"hello world, not a model", b"\xff" * 64,
                                  b"PK\x03\x04" + b"\0" * 40, b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_non_safetensors_files(tmp_path, data):
    _check_rejected(_file(tmp_path, data), "not a safetensors|truncated")


class _Boom:
    def __reduce__(self):
        return (exec, ("raise SystemExit('pickle code ran')",))


def test_a_pickle_file_is_refused_without_running_it(tmp_path):
    path = _file(tmp_path, pickle.dumps({"weight": _Boom()}, protocol=2))
    _check_rejected(path, "pickle")


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(gn.GlassnetError, match="no such file"):
        gn.load(tmp_path / "nope.safetensors")
    with pytest.raises(gn.GlassnetError, match="directory"):
        gn.load(tmp_path)


# the fuzz rewrites one file thousands of times: in memory (/dev/shm) where there is one
_FUZZ_DIR = tempfile.mkdtemp(prefix="glassnet-fuzz-",
                             dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
atexit.register(shutil.rmtree, _FUZZ_DIR, True)


_EDITS = st.lists(st.tuples(st.sampled_from(_KINDS),
                            st.integers(0, len(VALID)), st.integers(0, 255)), min_size=1, max_size=4)
_HEADER_EDIT = st.tuples(st.sampled_from(["weight", "bias", "steps", "mask"]),
                         st.sampled_from(["dtype", "shape", "data_offsets"]),
                         st.one_of(st.integers(-2**65, 2**65), st.text(max_size=4),
                                   st.lists(st.integers(-5, 2**64), max_size=4), st.none(),
                                   st.sampled_from(["F32", "F64", "I64", "BOOL", "BF16", "U8"])))


def _load_expecting_only_glassnet_errors(data):
    path = f"{_FUZZ_DIR}/fuzz.safetensors"
    with open(path, "wb") as f:
        f.write(data)
    for reader in (gn.load, io.load_metadata):
        try:
            reader(path)
        except gn.GlassnetError:
            pass


@settings(max_examples=800, deadline=None, suppress_health_check=list(HealthCheck))
@given(_EDITS)
def test_fuzz_byte_mutations_raise_only_glassnet_errors(edits):
    _load_expecting_only_glassnet_errors(_mutate(VALID, edits))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_HEADER_EDIT, min_size=1, max_size=3))
def test_fuzz_header_mutations_raise_only_glassnet_errors(edits):
    (n,) = struct.unpack("<Q", VALID[:8])
    header = json.loads(VALID[8:8 + n])
    for name, field, value in edits:
        header[name][field] = value
    _load_expecting_only_glassnet_errors(_with_header(header, VALID[8 + n:]))


def test_seeded_sweep_of_5000_mutated_files_raises_only_glassnet_errors():
    """The same mutations without hypothesis's per-example cost: 5000 cases in a second."""
    rng = np.random.default_rng(0)
    kinds = ["flip", "set", "insert", "delete", "truncate"]
    for _ in range(5000):
        edits = [(kinds[rng.integers(5)], int(rng.integers(len(VALID) + 1)), int(rng.integers(256)))
                 for _ in range(rng.integers(1, 5))]
        _load_expecting_only_glassnet_errors(_mutate(VALID, edits))


def _file_with_config(tmp_path, config, arrays):
    import json

    import safetensors.numpy as sn

    meta = {"format": "glassnet", "format_version": "1", "glassnet_version": gn.__version__,
            "dtype": "float32", "config": config if isinstance(config, str) else json.dumps(config)}
    path = tmp_path / "cfg.safetensors"
    path.write_bytes(sn.save(arrays, metadata=meta))
    return path


def _refused_without_allocating(call, pattern):
    tracemalloc.start()
    try:
        with pytest.raises(gn.GlassnetError, match=pattern):
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"refusing allocated {peak:,} bytes"


def test_config_claiming_a_huge_model_is_refused_before_building(tmp_path):
    config = {"kind": "mlp", "in_features": 1000, "hidden": [1000], "num_classes": 10}
    path = _file_with_config(tmp_path, config, {"x": np.zeros(2, np.float32)})
    _refused_without_allocating(lambda: gn.models.load_model(path),
                                "a model of 1,011,010 numbers but the file holds only 2")


_MLP = {"kind": "mlp", "in_features": 4, "hidden": [3], "num_classes": 2}


@pytest.mark.parametrize("change, pattern", [
    ({"hidden": [30000.0]}, r"field 'hidden' must be a list of positive integers, got \[30000.0\]"),
    ({"hidden": ["30000"]}, "field 'hidden' must be a list of positive integers"),
    ({"in_features": 30000.0}, "field 'in_features' must be a positive integer, got 30000.0"),
    ({"in_features": "30000"}, "field 'in_features' must be a positive integer, got '30000'"),
    ({"in_features": -5}, "field 'in_features' must be a positive integer, got -5"),
    ({"in_features": "abc"}, "must be a positive integer, got 'abc'"),
    ({"num_classes": True}, "field 'num_classes' must be a positive integer, got True"),
    ({"hidden": [1] * 20_000}, r"must be at most 1,000 sizes \(glassnet.io.LIMITS.max_layers\)"),
    ({"hidden": [[[[1]]]]}, "must be a list of positive integers"),
    ({"activation": ["relu"]}, "field 'activation' must be one of"),
    ({"dropout": 2}, r"field 'dropout' must be a number in \[0, 1\)"),
    ({"kind": "transformer"}, "unknown model kind 'transformer'"),
    ({"layers": 3}, r"mlp has no field\(s\) \['layers'\]"),
    ({"hidden": [60000, 60000]}, "asks for 3,600,.* numbers, over the limit of 2,000,000,000"),
])
def test_hostile_configs_are_refused_before_building(tmp_path, change, pattern):
    path = _file_with_config(tmp_path, {**_MLP, **change}, {"x": np.zeros(2, np.float32)})
    _refused_without_allocating(lambda: gn.models.load_model(path), pattern)
    with pytest.raises(gn.GlassnetError, match=pattern):
        gn.models.from_config({**_MLP, **change})


def test_a_400x400_cnn_with_400_classes_from_a_small_file_is_refused(tmp_path):
    """The probe: 160 KB of weights and a config that builds an 11.9 GiB model."""
    config = {"kind": "cnn2d", "height": 400, "width": 400, "num_classes": 400}
    path = _file_with_config(tmp_path, config, {"w": np.zeros(40_000, np.float32)})
    _refused_without_allocating(lambda: gn.models.load_model(path),
                                "a model of 256,028,979 numbers but the file holds only 40,000")
    with gn.io.LIMITS.raised(max_parameters=10**8):
        _refused_without_allocating(lambda: gn.models.load_model(path),
                                    "asks for 256,028,979 numbers, over the limit of 100,000,000")


@pytest.mark.parametrize("kind, config", [
    ("rnn", {"num_layers": 20_000}), ("gru", {"hidden_size": 5.0}),
    ("lstm", {"bidirectional": "yes"}), ("cnn1d", {"channels": [1, 2]}),
    ("logreg", {"in_features": None}),
])
def test_every_kind_checks_its_fields(kind, config):
    with pytest.raises(gn.GlassnetValueError, match=f"{kind} field"):
        gn.models.from_config({"kind": kind, "num_classes": 2, **(
            {"in_features": 3} if kind == "logreg" else {}), **config})


@pytest.mark.parametrize("model", [
    lambda: gn.models.MLP(7, (5, 3), 4), lambda: gn.models.MLP(7, (), 4),
    lambda: gn.models.LogisticRegression(6, 3), lambda: gn.models.CNN1d(40, 10),
    lambda: gn.models.CNN1d(17, 3, in_channels=2, channels=(3, 4, 5)),
    lambda: gn.models.CNN2d(9, 13, 5, in_channels=3, channels=(2, 3, 4)),
    lambda: gn.models.RNNClassifier("gru", 3, 5, 2, 4),
    lambda: gn.models.RNNClassifier("lstm", 1, 6, 3, 2, bidirectional=True),
    lambda: gn.models.RNNClassifier("rnn", 2, 4, 1, 3),
], ids=["mlp", "mlp-no-hidden", "logreg", "cnn1d", "cnn1d-channels", "cnn2d", "gru", "lstm-bi", "rnn"])
def test_counted_numbers_equal_the_built_models_state_dict(model):
    from glassnet.models._config import check_config

    built = model()
    held = sum(int(np.prod(v.shape)) for v in built.state_dict().values())
    assert check_config(built.config)[2] == held


def test_the_saved_model_still_loads_and_a_smaller_config_is_left_to_load_into(tmp_path):
    model = gn.models.MLP(4, (3,), 2)
    gn.save(model, tmp_path / "m.safetensors")
    assert gn.models.load_model(tmp_path / "m.safetensors").config == model.config
    path = _file_with_config(tmp_path, {**_MLP, "hidden": [2]},
                             {k: v.numpy() for k, v in model.state_dict().items()})
    with pytest.raises(gn.GlassnetError, match="shape"):
        gn.models.load_model(path)


def test_deeply_nested_metadata_is_a_format_error(tmp_path):
    path = _file_with_config(tmp_path, "[" * 100_000, {"x": np.zeros(2, np.float32)})
    with pytest.raises(gn.GlassnetError, match="not valid JSON"):
        gn.io.load_metadata(path)


def test_saved_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    path = gn.save({"w": gn.ones(2)}, tmp_path / "w.safetensors")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


# -- issue #21: hangs, integrity, terminal injection, messages ---------------------------


def _header_of(tensors):
    return {f"t{i}": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]} for i in range(tensors)}


def test_the_probes_400k_empty_tensor_header_is_refused_before_it_is_parsed(tmp_path):
    """23 MB of header took 23 s and 427 MB to parse: now the 8-byte size is enough."""
    path = _file(tmp_path, _with_header(_header_of(400_000)))
    assert os.path.getsize(path) > 20_000_000
    _check_rejected(path, r"its header is 2\d,\d{3},\d{3} bytes, over the limit of 4,194,304 "
                          r"\(glassnet.io.LIMITS.max_header_bytes")


def test_headers_over_the_value_and_tensor_limits(tmp_path):
    path = _file(tmp_path, _with_header(_header_of(20_000)))  # 1.4 MB: under the byte limit
    _check_rejected(path, r"holds 20,000 tensors, over the limit of 10,000 \(glassnet.io.LIMITS.max_tensors",
                    peak_limit=20_000_000)  # parsed (~10 bytes per header byte), then refused
    many = _file(tmp_path, _with_header({"__metadata__": {"k": "," * 400_000}}), "v.safetensors")
    _check_rejected(many, r"holds up to 400,\d{3} JSON values, over the limit of 300,000")
    deep = _file(tmp_path, struct.pack("<Q", 200_001) + b"{" + b"[" * 200_000, "d.safetensors")
    with io.LIMITS.raised(max_header_values=10**6):
        _check_rejected(deep, "not valid JSON")


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_a_pickle_file_is_named_as_one(tmp_path, protocol):
    path = _file(tmp_path, pickle.dumps({"weight": [1.0, 2.0]}, protocol=protocol))
    _check_rejected(path, r"this is a pickle file \(e.g. from torch.save\), not a safetensors file; "
                          "glassnet never unpickles")


def test_a_zip_and_an_npy_file_are_named(tmp_path):
    buffer = __import__("io").BytesIO()
    np.savez(buffer, X=np.ones(3))
    _check_rejected(_file(tmp_path, buffer.getvalue()), "this is a zip archive")
    buffer = __import__("io").BytesIO()
    np.save(buffer, np.ones(3))
    _check_rejected(_file(tmp_path, buffer.getvalue(), "n.safetensors"), "this is a NumPy .npy file")


def test_a_header_whose_size_looks_like_pickle_still_loads(tmp_path):
    """640 = 0x0280: a real header of that size starts b'\\x80\\x02' like a pickle."""
    name = "w" * (640 - len(json.dumps({"w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
                                       separators=(",", ":"))) + 1)
    raw = json.dumps({name: {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
                     separators=(",", ":")).encode()
    assert len(raw) == 640
    path = _file(tmp_path, struct.pack("<Q", 640) + raw + b"\x07")
    assert gn.load(path)[name].numpy().tolist() == [7]


def _saved(tmp_path):
    path = tmp_path / "m.safetensors"
    gn.save({"a": np.arange(6, dtype=np.float32), "b": np.ones((2, 2)), "flag": np.array([True])}, path)
    return path


def test_every_tensor_carries_a_crc32_and_a_flipped_bit_is_found(tmp_path):
    import zlib

    path = _saved(tmp_path)
    header = io._header.read_header(path)
    sums = header.metadata["crc32"]
    assert len(sums) == 8 * 3
    assert int(sums[:8], 16) == zlib.crc32(np.arange(6, dtype=np.float32).tobytes())  # "a" sorts first
    assert "crc32" not in io.load_metadata(path)
    data = bytearray(path.read_bytes())
    _, _, begin, _ = header.tensors["a"]
    data[header.data_start + begin + 5] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(io.FileFormatError, match=r"tensor 'a' does not match its checksum \(CRC-32 "
                                                 r"[0-9a-f]{8}, the file says [0-9a-f]{8}\) — the file "
                                                 "is corrupted"):
        gn.load(path)
    assert io.load_metadata(path)["format"] == "glassnet"  # the header alone is still readable


def test_files_without_checksums_load_and_malformed_checksums_do_not(tmp_path):
    from safetensors.numpy import save

    plain = _file(tmp_path, save({"w": np.ones(3, np.float32)}))  # as PyTorch's safetensors writes
    assert gn.load(plain)["w"].numpy().tolist() == [1, 1, 1]
    bad = _file(tmp_path, save({"w": np.ones(3, np.float32)}, metadata={"crc32": "xyz"}), "b.st")
    with pytest.raises(io.FileFormatError, match="crc32 metadata is not 8 hex digits per tensor"):
        gn.load(bad)


def test_inspect_escapes_control_characters_from_the_file(tmp_path, capsys):
    from glassnet.cli import main

    evil = "\x1b[2J\x1b[31mowned\u202e"
    path = tmp_path / "evil.safetensors"
    from safetensors.numpy import save

    path.write_bytes(save({evil: np.ones(1, np.float32)},
                          metadata={f"key{evil}": f"value{evil}\rline", "user.x": json.dumps(evil)}))
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\u202e" not in out and "\r" not in out
    assert "\\x1b[2J\\x1b[31mowned\\u202e" in out and "value\\x1b[2J" in out and "\\x0dline" in out


def test_disk_full_while_saving_is_one_error_and_the_old_file_survives(tmp_path, monkeypatch):
    import errno

    import glassnet.io._atomic as atomic

    path = tmp_path / "m.safetensors"
    gn.save({"w": np.ones(2, np.float32)}, path)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(io.FileWriteError, match=f"write {path}: No space left on device — nothing "
                                                "was written"):
        gn.save({"w": np.zeros(2, np.float32)}, path)
    monkeypatch.undo()
    assert gn.load(path)["w"].numpy().tolist() == [1, 1]
    assert os.listdir(tmp_path) == ["m.safetensors"]  # no temporary file left behind


def test_the_hostile_model_files_cost_little_memory_in_a_fresh_process(tmp_path):
    """Peak RSS of loading each worst file, over the interpreter's baseline with glassnet
    imported (goal ≤ 50 MB); the figures are in the issue's note, the bound here is loose."""
    import subprocess
    import sys

    files = {"header": _with_header(_header_of(400_000)),
             "values": _with_header({"__metadata__": {"k": "[" + "{}," * 99_000 + "{}]"}}),
             "tensors": _with_header(_header_of(io.LIMITS.max_tensors))}
    for name, data in files.items():
        _file(tmp_path, data, f"{name}.safetensors")
    code = ("import resource, sys, glassnet as gn; base = resource.getrusage(resource.RUSAGE_SELF)"
            ".ru_maxrss\nfor p in sys.argv[1:]:\n    try: gn.load(p)\n    except gn.GlassnetError: pass"
            "\nprint((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)")
    for name in files:
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / f"{name}.safetensors")],
                             capture_output=True, text=True, timeout=120, check=True).stdout
        assert int(out) < 50, f"{name}: {out} MB over the baseline"


def _recommender_file(tmp_path, model, change):
    """``model`` fitted on small synthetic ratings and saved, then its header metadata
    rewritten: ``change(model)`` → {metadata key: new value (JSON-encoded here)}."""
    from safetensors.numpy import save

    from glassnet import recommend as rec

    path = tmp_path / "rec.safetensors"
    model.fit(rec.synthetic(20, 15, rank=2, density=0.5, seed=0)).save(path)
    arrays, meta = io.read_arrays(path)
    for key, value in change(model).items():
        meta[key] = json.dumps(value)
    path.write_bytes(save(arrays, metadata=meta))
    return path


def _config_change(**fields):
    return lambda model: {"user.recommender_config": {**model._config(), **fields}}


def test_a_small_recommender_file_asking_for_a_40000x40000_rank_20000_model(tmp_path):
    from glassnet import recommend as rec

    path = _recommender_file(tmp_path, rec.MatrixFactorization(rank=2, epochs=1),
                             _config_change(num_users=40_000, num_items=40_000, rank=20_000))
    assert os.path.getsize(path) < 5_000
    _refused_without_allocating(lambda: rec.load(path), "a MatrixFactorization of 1,600,080,001 "
                                "numbers but the file holds only 312")
    with io.LIMITS.raised(max_parameters=10**9):
        _refused_without_allocating(lambda: rec.load(path), "over the limit of 1,000,000,000")


@pytest.mark.parametrize("change, pattern", [
    ({"rank": 2.5}, "rank must be a non-negative integer, got 2.5"),
    ({"rank": "abc"}, "rank must be a non-negative integer, got 'abc'"),
    ({"num_users": -5}, "num_users must be a non-negative integer, got -5"),
    ({"dtype": "V1000000000"}, "dtype must be 'float32' or 'float64'"),
    ({"reg": float("nan")}, "reg must be a finite number"),
    ({"layers": 3}, r"MatrixFactorization has no argument\(s\) \['layers'\]"),
])
def test_recommender_configs_are_checked(tmp_path, change, pattern):
    from glassnet import recommend as rec

    path = _recommender_file(tmp_path, rec.MatrixFactorization(rank=2, epochs=1),
                             _config_change(**change))
    with pytest.raises(gn.GlassnetError, match=pattern):
        rec.load(path)


@pytest.mark.parametrize("ids, pattern", [
    ({"kind": "int", "ids": [2**70]}, "user_ids must be 64-bit integers"),
    ({"kind": "str", "ids": ["a"] * 300_000 + ["b" * 1000]}, "would take 1,200,004,000 bytes"),
    ({"kind": "str", "ids": 5}, "user_ids is not an id map"),
])
def test_recommender_id_maps_are_checked_before_they_become_arrays(tmp_path, ids, pattern):
    """The id maps are parsed with the header (~10 bytes per header byte), then refused
    before NumPy makes a fixed-width array of them (1.2 GB for the second case)."""
    from glassnet import recommend as rec

    path = _recommender_file(tmp_path, rec.BiasModel(), lambda model: {"user.user_ids": ids})
    with io.LIMITS.raised(max_header_bytes=8 * 2**20, max_header_values=10**6):
        tracemalloc.start()
        try:
            with pytest.raises(gn.GlassnetError, match=pattern):
                rec.load(path)
            assert tracemalloc.get_traced_memory()[1] < 30_000_000
        finally:
            tracemalloc.stop()


def test_recommender_arrays_must_fit_the_id_maps(tmp_path):
    from glassnet import recommend as rec

    path = _recommender_file(tmp_path, rec.ALS(rank=2, iterations=1), _config_change(rank=3))
    with pytest.raises(gn.GlassnetError, match="rank 3 needs 3 columns"):
        rec.load(path)
