"""gn.save / gn.load of nested state — the checkpoint dict of PyTorch's "saving and loading a
general checkpoint" recipe — as one safetensors file whose structure is JSON (never pickle),
and torch.load's keywords; run as that recipe under both libraries."""

import json
import struct

import numpy as np
import pytest

import glassnet as gn


def _recipe(lib, folder):
    """Train two steps, save a general checkpoint, rebuild model and optimiser from it,
    train one more step: what the PyTorch recipe does."""
    rng = np.random.default_rng(0)
    x, y = lib.tensor(rng.standard_normal((8, 3))), lib.tensor(rng.standard_normal((8, 1)))

    def build():
        model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1)).double()
        return model, lib.optim.Adam(model.parameters(), lr=0.05)

    model, optimizer = build()
    for p in model.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)))
    for _ in range(2):
        optimizer.zero_grad()
        loss = lib.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
    path = str(folder / "checkpoint.pt")
    lib.save({"epoch": 2, "model_state_dict": model.state_dict(),
              "optimizer_state_dict": optimizer.state_dict(), "loss": loss, "note": "two steps",
              "history": [0.5, 0.25]}, path)
    checkpoint = lib.load(path, map_location="cpu", weights_only=True)
    model, optimizer = build()
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    optimizer.zero_grad()
    lib.nn.functional.mse_loss(model(x), y).backward()
    optimizer.step()
    return {"epoch": checkpoint["epoch"], "note": checkpoint["note"], "history": checkpoint["history"],
            "loss": float(checkpoint["loss"].detach()), "lr": optimizer.param_groups[0]["lr"],
            "betas": list(optimizer.param_groups[0]["betas"]),
            "weights": [p.detach().numpy() for p in model.parameters()]}


def test_the_general_checkpoint_recipe_equals_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    (tmp_path / "gn").mkdir()
    (tmp_path / "torch").mkdir()
    ours, theirs = _recipe(gn, tmp_path / "gn"), _recipe(torch, tmp_path / "torch")
    for key in ("epoch", "note", "history", "lr", "betas"):
        assert ours[key] == theirs[key], key
    np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-12)
    for a, b in zip(ours["weights"], theirs["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_nested_state_round_trips_types_and_is_plain_safetensors(tmp_path):
    state = {"step": 7, "ratio": 0.1, "name": "run", "flag": True, "none": None, "pair": (1, 2),
             "by_index": {0: gn.tensor([1.0, 2.0]), 1: "x"}, "rows": [gn.tensor([[3]]), 4]}
    path = gn.save(state, tmp_path / "state.safetensors")
    back = gn.load(path)
    assert {k: v for k, v in back.items() if k not in ("by_index", "rows")} == \
        {k: v for k, v in state.items() if k not in ("by_index", "rows")}
    assert back["by_index"][0].tolist() == [1.0, 2.0] and back["by_index"][1] == "x"
    assert back["rows"][0].tolist() == [[3]] and back["rows"][1] == 4
    safetensors = pytest.importorskip("safetensors.numpy")
    names = sorted(safetensors.load_file(path))  # any safetensors reader sees the tensors
    assert len(names) == 2


def test_a_tree_that_names_a_missing_tensor_is_refused(tmp_path):
    gn.save({"epoch": 1, "w": [gn.tensor([1.0])]}, tmp_path / "c.safetensors")
    data = (tmp_path / "c.safetensors").read_bytes()
    size = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + size])
    header["__metadata__"]["tree"] = json.dumps({"w": {"$array": "nowhere"}})
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (size - len(text)) if len(text) <= size else b""
    assert len(text) == size
    (tmp_path / "bad.safetensors").write_bytes(data[:8] + text + data[8 + size:])
    with pytest.raises(gn.GlassnetError, match="saved state does not fit its tensors"):
        gn.load(tmp_path / "bad.safetensors")


def test_torch_load_keywords(tmp_path):
    path = gn.save({"w": gn.tensor([1.0])}, tmp_path / "w.safetensors")
    assert gn.load(path, map_location=gn.device("cpu"), weights_only=False)["w"].tolist() == [1.0]
    assert gn.load(path, map_location={"cuda:0": "cpu"})["w"].tolist() == [1.0]
    with pytest.raises(gn.GlassnetTypeError, match="map_location='cpu'"):
        gn.load(path, map_location="cuda:0")
    with pytest.raises(gn.GlassnetTypeError, match="no pickle"):
        gn.load(path, encoding="latin1")
    with pytest.raises(gn.GlassnetTypeError, match="got object"):
        gn.save(object(), tmp_path / "o.safetensors")
    nested = gn.save({"epoch": 1, "w": gn.tensor([1.0])}, tmp_path / "n.safetensors")
    with pytest.raises(gn.GlassnetTypeError, match="key_map renames the tensors of a flat state dict"):
        gn.load(nested, key_map={"w": "v"})


def test_a_whole_model_saved_loads_as_its_state_dict_and_says_so_when_used_as_a_model(tmp_path):
    model = gn.nn.Linear(2, 1)
    gn.save(model, tmp_path / "model.pt")  # torch.save(model, PATH): the whole model, pickled, in PyTorch
    loaded = gn.load(tmp_path / "model.pt", weights_only=False)
    assert sorted(loaded) == ["bias", "weight"]
    fresh = gn.nn.Linear(2, 1)
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())
    with pytest.raises(AttributeError, match=r"state dict of a Linear.*never pickles.*load_state_dict"):
        loaded.eval()
