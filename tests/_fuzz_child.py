"""The fuzz properties of tests/test_fuzz_files.py, run in a child process
(``python _fuzz_child.py PROPERTY EXAMPLES``) whose address space is limited to 1 GiB over
what it holds after its imports: a reader that starts allocating what a hostile file
claims fails with MemoryError — a test failure — instead of taking the machine down.

Every property feeds generated files or configs to glassnet's readers and accepts two
outcomes: a :class:`glassnet.GlassnetError`, or a result that is what it should be.
Anything else (another exception, a MemoryError, a wrong result) fails with hypothesis's
smallest example.
"""

import io as pyio
import json
import os
import resource
import struct
import sys
import tempfile
import zipfile

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassnet as gn
from byte_edits import KINDS as _KINDS
from byte_edits import mutate as _mutate
from glassnet import io, models, train
from glassnet import recommend as rec
from glassnet.cli.inspect import describe
from glassnet.models._config import check_config

GIB = 2**30
WORK = tempfile.mkdtemp(prefix="glassnet-fuzz-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)


def limit_address_space(extra=GIB):
    """RLIMIT_AS = the address space in use now + ``extra`` (Linux: /proc/self/status)."""
    with open("/proc/self/status") as f:
        in_use = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = in_use + extra if hard == resource.RLIM_INFINITY else min(in_use + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return in_use


def _file(data, name):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _only_glassnet_errors(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except gn.GlassnetError:
        return None


# -- safetensors files ------------------------------------------------------------------


def _model_file():
    model = models.MLP(3, (4,), 2)
    buffer = os.path.join(WORK, "valid.safetensors")
    gn.save(model, buffer, metadata={"note": "fuzz"})
    with open(buffer, "rb") as f:
        return f.read()


def _checkpoint_file():
    model = models.MLP(3, (2,), 2)
    opt = gn.optim.Adam(model.parameters(), lr=0.1)
    path = os.path.join(WORK, "valid-ckpt.safetensors")
    train.Checkpoint.capture(model, opt, epoch=1, step=3, history=[{"epoch": 1, "loss": 0.5}]).save(path)
    with open(path, "rb") as f:
        return f.read()


MODEL, CHECKPOINT = _model_file(), _checkpoint_file()
READERS = (gn.load, io.load_metadata, train.Checkpoint.load, models.load_model, rec.load, describe)


EDITS = st.lists(st.tuples(st.sampled_from(_KINDS),
                           st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=6)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats()
                    | st.text(max_size=8) | st.sampled_from([0, 1, 2**31, 2**47, 2**48 - 1, "F32", "BOOL"]),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6),
                                                                                inner, max_size=4),
                    max_leaves=12)


def _read_everything(path):
    for reader in READERS:
        _only_glassnet_errors(reader, path)


def safetensors_bytes(examples, seed_settings):
    @seed_settings(examples)
    @given(st.sampled_from([MODEL, CHECKPOINT]), EDITS)
    def prop(valid, edits):
        _read_everything(_file(_mutate(valid, edits), "m.safetensors"))

    prop()


def _split(data):
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def safetensors_headers(examples, seed_settings):
    """The JSON header rewritten field by field: entries, shapes, offsets, metadata
    (including the model config and the checkpoint state)."""
    @seed_settings(examples)
    @given(st.sampled_from([MODEL, CHECKPOINT]), st.lists(st.tuples(st.integers(0, 50), JSON),
                                                          min_size=1, max_size=4),
           st.integers(0, 3))
    def prop(valid, edits, extra_tensors):
        header, body = _split(valid)
        names = sorted(header)
        for index, value in edits:
            name = names[index % len(names)]
            if name == "__metadata__":
                keys = sorted(header[name])
                key = keys[index % len(keys)]
                header[name][key] = value if index % 3 else json.dumps(value)
            else:
                field = ("dtype", "shape", "data_offsets", None)[index % 4]
                if field is None or not isinstance(header[name], dict):
                    header[name] = value
                else:
                    header[name][field] = value
        for i in range(extra_tensors):
            header[f"extra{i}"] = {"dtype": "F32", "shape": [i], "data_offsets": [0, 4 * i]}
        raw = json.dumps(header).encode()
        _read_everything(_file(struct.pack("<Q", len(raw)) + raw + body, "h.safetensors"))

    prop()


# -- configs ----------------------------------------------------------------------------

FIELDS = sorted({"in_features", "hidden", "num_classes", "activation", "dropout", "length",
                 "in_channels", "channels", "height", "width", "input_size", "hidden_size",
                 "num_layers", "bidirectional", "bogus"})
SMALL = st.one_of(st.integers(-3, 12), st.lists(st.integers(-1, 9), max_size=4), JSON,
                  st.sampled_from(["relu", "tanh", 0.25, True, 30000.0, "30000", 2**64]))


def configs(examples, seed_settings):
    """Any config either raises a GlassnetValueError or builds a model holding exactly the
    numbers check_config counted; any saved-run arguments check or raise."""
    @seed_settings(examples)
    @given(st.sampled_from(sorted(models.CONFIG_KINDS) + ["nope", 5]),
           st.dictionaries(st.sampled_from(FIELDS), SMALL, max_size=6),
           st.dictionaries(st.sampled_from(["model", "hidden", "epochs", "lr", "seed", "dataset",
                                            "batch_size", "keep_last", "optimizer", "zzz"]),
                           SMALL, max_size=4))
    def prop(kind, fields, run_args):
        config = {"kind": kind, **fields}
        checked = _only_glassnet_errors(check_config, config)
        if checked is not None:
            numbers = checked[2]
            assert 0 < numbers <= io.LIMITS.max_parameters
            if numbers < 200_000:
                model = models.from_config(config)
                held = sum(int(np.prod(v.shape)) for v in model.state_dict().values())
                assert held == numbers, (config, held, numbers)
        _only_glassnet_errors(train.RunConfig.from_dict, run_args)

    prop()


# -- CSV ---------------------------------------------------------------------------------

CELLS = st.sampled_from(["0", "1", "-2.5", "1e39", "-1e39", "3e38", "nan", "inf", "", " ", "x",
                         "cat", "1e-400", "0x10", "1_0", "\"", "\"a,b\"", "\x00", "\u202e", "é",
                         "9" * 50])


def _check_dataset(ds):
    X = ds.arrays[0]
    assert X.dtype == np.float32 and X.ndim >= 1 and np.isfinite(X).all()
    if len(ds.arrays) > 1:
        assert ds.arrays[1].shape == (X.shape[0],)
        if ds.arrays[1].dtype.kind == "f":
            assert np.isfinite(ds.arrays[1]).all()


def csv_files(examples, seed_settings):
    @seed_settings(examples)
    @given(st.lists(st.lists(CELLS, min_size=1, max_size=5), min_size=0, max_size=8),
           st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from([",", ";"]),
           st.one_of(st.none(), st.binary(max_size=40)))
    def prop(rows, newline, delimiter, noise):
        text = newline.join(delimiter.join(row) for row in rows).encode("utf-8")
        if noise is not None:
            text = text[:len(text) // 2] + noise + text[len(text) // 2:]
        path = _file(text, "d.csv")
        for kwargs in ({}, {"label_column": None}, {"header": True}):
            ds = _only_glassnet_errors(gn.data.from_csv, path, **kwargs, delimiter=delimiter)
            if ds is not None:
                _check_dataset(ds)

    prop()


# -- NPZ ---------------------------------------------------------------------------------


def _npz(**arrays):
    buffer = pyio.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


NPZ = _npz(X=np.arange(24, dtype=np.float64).reshape(6, 4), y=np.arange(6) % 3)


def _member(shape, descr, fortran, extra):
    header = pyio.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": descr, "fortran_order": fortran,
                                                  "shape": shape})
    count = int(np.prod(shape, dtype=object)) if shape else 1
    body = bytes(min(count * np.dtype(descr).itemsize, 4096) + extra) if extra >= 0 else b""
    return header.getvalue() + body


def npz_files(examples, seed_settings):
    @seed_settings(examples)
    @given(st.one_of(
        EDITS.map(lambda edits: _mutate(NPZ, edits)),
        st.tuples(st.lists(st.integers(0, 2**40), max_size=3).map(tuple),
                  st.sampled_from(["<f4", "<f8", "<i8", "|u1", "|b1", "<U3", "|V4", "<c8"]),
                  st.booleans(), st.integers(-1, 8), st.booleans()).map(
            lambda m: _member_npz(*m))))
    def prop(data):
        ds = _only_glassnet_errors(gn.data.from_npz, _file(data, "d.npz"))
        if ds is not None:
            _check_dataset(ds)

    prop()


def _member_npz(shape, descr, fortran, extra, deflate):
    buffer = pyio.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("X.npy", _member(shape, descr, fortran, extra))
        archive.writestr("y.npy", _member(shape[:1], "<i8", False, 0))
    return buffer.getvalue()


PROPERTIES = {"safetensors_bytes": safetensors_bytes, "safetensors_headers": safetensors_headers,
              "configs": configs, "csv_files": csv_files, "npz_files": npz_files}


def main(name, examples):
    baseline = limit_address_space()

    def seed_settings(n):
        # bounded runs are deterministic (the same examples every CI run); long runs explore
        return settings(max_examples=n, deadline=None, database=None, derandomize=n <= 200,
                        suppress_health_check=list(HealthCheck))

    PROPERTIES[name](examples, seed_settings)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{name}: {examples} examples, address space {baseline / 2**20:.0f} MiB + 1 GiB allowed, "
          f"peak RSS {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
