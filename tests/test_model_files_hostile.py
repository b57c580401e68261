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


def _check_rejected(path, pattern):
    tracemalloc.start()
    try:
        for reader in (gn.load, io.load_metadata, train.Checkpoint.load):
            with pytest.raises(gn.GlassnetError, match=pattern) as info:
                reader(path)
            assert str(path) in str(info.value)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"loading a hostile file allocated {peak:,} bytes"


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


def _mutate(data, edits):
    data = bytearray(data)
    for kind, position, value in edits:
        i = position % (len(data) + 1)
        if kind == "flip" and data:
            data[i % len(data)] ^= 1 << (value % 8)
        elif kind == "set" and data:
            data[i % len(data)] = value % 256
        elif kind == "insert":
            data[i:i] = bytes([value % 256])
        elif kind == "delete" and data:
            del data[i % len(data)]
        elif kind == "truncate":
            del data[i:]
    return bytes(data)


_EDITS = st.lists(st.tuples(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
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
