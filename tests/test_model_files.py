"""Model files: save → load round trips for every module, configs, key maps, and errors
that name the file and list missing, unexpected and mismatched keys."""

import json
import struct

import numpy as np
import pytest

import glassnet as gn
from glassnet import io, nn
from glassnet.models import CONFIG_KINDS, MLP, LogisticRegression
from glassnet.models._cnn import CNN1d, CNN2d
from glassnet.models._recurrent import RNNClassifier
from module_registry import MODULES


def _input(spec, dtype):
    x = np.random.default_rng(0).standard_normal((3, *spec.input_shape))
    return gn.tensor(x, dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("spec", MODULES, ids=[m.name for m in MODULES])
def test_round_trip_gives_identical_outputs(spec, dtype, tmp_path):
    gn.manual_seed(0)
    a = spec.build().to(dtype).eval()
    gn.manual_seed(1)
    b = spec.build().to(dtype).eval()
    gn.save(a, tmp_path / "m.safetensors")
    io.load_into(b, tmp_path / "m.safetensors")
    state = gn.load(tmp_path / "m.safetensors")
    assert sorted(state) == sorted(a.state_dict())
    for key, value in a.state_dict().items():
        assert state[key].dtype == value.dtype
        assert state[key].numpy().tobytes() == value.numpy().tobytes()
    x = _input(spec, dtype)
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())


def test_header_holds_format_version_dtype_and_config(tmp_path):
    model = MLP(6, (5,), 3, activation="tanh").double()
    gn.save(model, tmp_path / "m.safetensors", metadata={"note": {"epochs": 3}})
    meta = io.load_metadata(tmp_path / "m.safetensors")
    assert meta["format"] == "glassnet" and meta["format_version"] == io.FORMAT_VERSION
    assert meta["glassnet_version"] == gn.__version__ and meta["dtype"] == "float64"
    assert meta["config"] == {"kind": "mlp", "in_features": 6, "hidden": [5], "num_classes": 3,
                              "activation": "tanh", "dropout": 0.0}
    assert meta["note"] == {"epochs": 3}


READY_MADE = {
    "mlp": (lambda: MLP(6, (5, 4), 3, activation="gelu", dropout=0.1), (6,)),
    "logreg": (lambda: LogisticRegression(6, 3), (6,)),
    "cnn1d": (lambda: CNN1d(8, 3, channels=(2, 3, 2)), (8,)),
    "cnn2d": (lambda: CNN2d(4, 4, 3, channels=(2, 2, 3)), (1, 4, 4)),
    "gru": (lambda: RNNClassifier("gru", 1, 4, 2, 3), (5,)),
    "lstm": (lambda: RNNClassifier("lstm", 2, 3, 1, 3, bidirectional=True), (5, 2)),
    "rnn": (lambda: RNNClassifier("rnn", 1, 3, 1, 2), (4,)),
    "gpt": (lambda: gn.models.GPT(7, context_length=6, d_model=8, num_heads=2, num_layers=2), "tokens"),
}


def _ready_input(shape, batch, dtype):
    if shape == "tokens":  # a language model reads token ids (N, T)
        return np.random.default_rng(batch).integers(0, 7, (batch, 6))
    return gn.randn(batch, *shape, dtype=dtype)


def test_every_config_kind_is_tested():
    assert sorted(READY_MADE) == sorted(CONFIG_KINDS)


@pytest.mark.parametrize("kind", sorted(READY_MADE))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_load_model_rebuilds_from_the_config(kind, dtype, tmp_path):
    build, shape = READY_MADE[kind]
    gn.manual_seed(0)
    model = build().to(dtype)
    model(_ready_input(shape, 5, dtype))  # batch norm running statistics move
    model.eval()
    gn.save(model, tmp_path / "m.safetensors")
    gn.manual_seed(1)
    back = gn.models.load_model(tmp_path / "m.safetensors")
    assert type(back) is type(model) and back.config == model.config and not back.training
    assert {k: v.dtype for k, v in back.state_dict().items()} == \
        {k: v.dtype for k, v in model.state_dict().items()}
    x = _ready_input(shape, 4, dtype)
    np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())


def test_load_model_without_config_says_what_to_do(tmp_path):
    gn.save(nn.Linear(2, 2), tmp_path / "m.safetensors")
    with pytest.raises(gn.GlassnetError, match="no model config.*load_into"):
        gn.models.load_model(tmp_path / "m.safetensors")


def test_single_tensor_round_trip(tmp_path):
    t = gn.tensor([[1, 2], [3, 4]], dtype="int32")
    gn.save(t, tmp_path / "t.safetensors")
    back = gn.load(tmp_path / "t.safetensors")
    assert back.dtype == np.int32 and back.numpy().tolist() == [[1, 2], [3, 4]]


def test_load_into_lists_missing_unexpected_and_mismatched_keys(tmp_path):
    gn.save({"0.weight": np.zeros((4, 3), np.float32), "0.bias": np.zeros(5, np.float32),
             "9.weight": np.zeros(1, np.float32)}, tmp_path / "m.safetensors")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(gn.GlassnetError) as info:
        io.load_into(model, tmp_path / "m.safetensors")
    message = str(info.value)
    assert str(tmp_path / "m.safetensors") in message
    assert "missing keys: ['2.weight', '2.bias']" in message
    assert "unexpected keys: ['9.weight']" in message
    assert "0.bias: checkpoint (5,) vs model (4,)" in message


def test_key_map_dict_and_callable(tmp_path):
    src = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    gn.save({"fc1.weight": src[0].weight, "fc1.bias": src[0].bias, "fc2.weight": src[2].weight,
             "fc2.bias": src[2].bias, "extra": gn.zeros(1)}, tmp_path / "m.safetensors")
    dst = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with pytest.raises(gn.GlassnetError, match="no name matches.*key_map"):
        io.load_into(dst, tmp_path / "m.safetensors")
    io.load_into(dst, tmp_path / "m.safetensors",
                 key_map=lambda k: None if k == "extra" else k.replace("fc1", "0").replace("fc2", "2"))
    x = gn.randn(2, 3)
    np.testing.assert_array_equal(dst(x).numpy(), src(x).numpy())
    renamed = gn.load(tmp_path / "m.safetensors", key_map={"fc1.weight": "0.weight"})
    assert "0.weight" in renamed and "fc1.bias" in renamed
    with pytest.raises(gn.GlassnetError, match="two entries"):
        gn.load(tmp_path / "m.safetensors", key_map=lambda k: "same")


def test_save_refuses_what_a_file_cannot_hold(tmp_path):
    with pytest.raises(gn.GlassnetError, match="complex128 cannot be stored"):
        gn.save({"z": np.zeros(2, complex)}, tmp_path / "z.safetensors")
    with pytest.raises(gn.GlassnetTypeError, match="cannot store object"):
        gn.save({"a": [object()]}, tmp_path / "z.safetensors")
    with pytest.raises(gn.GlassnetTypeError, match="JSON"):
        gn.save({"a": np.zeros(2)}, tmp_path / "z.safetensors", metadata={"f": object()})
    assert not (tmp_path / "z.safetensors").exists()


def test_a_newer_format_version_is_refused(tmp_path):
    from safetensors.numpy import save_file

    save_file({"a": np.zeros(2, np.float32)}, str(tmp_path / "new.safetensors"),
              metadata={"format": "glassnet", "format_version": "99"})
    with pytest.raises(gn.GlassnetError, match="format version '99'.*upgrade"):
        gn.load(tmp_path / "new.safetensors")


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    gn.save({"a": np.arange(3.0)}, path)
    before = path.read_bytes()

    def broken(data):  # the disk fills up halfway through the write
        raise OSError("No space left on device")

    import glassnet.io._atomic as atomic

    real = atomic.os.fsync
    monkeypatch.setattr(atomic.os, "fsync", broken)
    with pytest.raises(OSError):
        gn.save({"a": np.arange(5.0)}, path)
    monkeypatch.setattr(atomic.os, "fsync", real)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_header_is_standard_safetensors(tmp_path):
    gn.save({"w": np.ones((2, 3), np.float32)}, tmp_path / "m.safetensors")
    raw = (tmp_path / "m.safetensors").read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    assert header["w"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    assert len(raw) == 8 + n + 24


def test_glassnet_inspect_lists_tensors_and_metadata(tmp_path, capsys):
    from glassnet.cli import main

    gn.save(MLP(6, (5,), 3), tmp_path / "m.safetensors", metadata={"note": "hi"})
    assert main(["inspect", str(tmp_path / "m.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "4 tensors" in out and "total: 53 numbers" in out  # 6·5 + 5 + 5·3 + 3
    assert "1.weight  float32  (5, 6)     30" in out
    assert '"kind": "mlp"' in out and 'user.note: "hi"' in out
    (tmp_path / "bad").write_bytes(b"nonsense")
    assert main(["inspect", str(tmp_path / "bad")]) == 2
    assert "not a safetensors" in capsys.readouterr().err


def test_pack_tree_round_trips_types_and_keeps_arrays_apart():
    from collections import Counter

    tree = {"t": (1, 2.5, float("inf")), "c": Counter([3, 3, 4]), "d": {0: np.arange(3), "0": np.ones(2)},
            "n": [np.float32(1.5), None, True], "$odd": "x"}
    doc, arrays = io.pack_tree(tree, "s/")
    assert len(arrays) == 2
    back = io.unpack_tree(json.loads(json.dumps(doc)), arrays)
    assert back["t"] == (1, 2.5, float("inf")) and back["c"] == Counter({3: 2, 4: 1})
    assert back["d"][0].tolist() == [0, 1, 2] and back["d"]["0"].tolist() == [1.0, 1.0]
    assert back["n"] == [1.5, None, True] and back["$odd"] == "x"
    with pytest.raises(gn.GlassnetTypeError, match="cannot store object at x"):
        io.pack_tree({"x": object()})
