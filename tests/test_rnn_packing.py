"""nn.utils.rnn: padding and packing sequences of different lengths, and RNN/LSTM/GRU on a
packed batch — against PyTorch, float64 1e-12 (values and gradients)."""

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _model(lib, mode, layers, bidirectional, seed=0, proj=0):
    rng = np.random.default_rng(seed)
    cls = {"LSTM": lib.nn.LSTM, "GRU": lib.nn.GRU, "RNN": lib.nn.RNN}[mode]
    extra = {"proj_size": proj} if proj else {}
    model = cls(3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=True, **extra).double()
    for p in model.parameters():
        p.data = lib.tensor(rng.standard_normal(tuple(p.shape)) * 0.5)
    return model


def _run_packed(lib, mode, layers, bidirectional, lengths, enforce_sorted, with_hx, proj=0):
    rng = np.random.default_rng(1)
    R = lib.nn.utils.rnn
    model = _model(lib, mode, layers, bidirectional, proj=proj)
    x = lib.tensor(rng.standard_normal((len(lengths), max(lengths), 3)), requires_grad=True)
    hx = None
    if with_hx:
        shape = (layers * (2 if bidirectional else 1), len(lengths), 4)
        h0 = lib.tensor(rng.standard_normal((*shape[:2], proj or 4)), requires_grad=True)
        hx = (h0, lib.tensor(rng.standard_normal(shape), requires_grad=True)) if mode == "LSTM" else h0
    packed = R.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    out, state = model(packed, hx)
    padded, out_lengths = R.pad_packed_sequence(out, batch_first=True, padding_value=-1.0)
    h_n = state[0] if mode == "LSTM" else state
    loss = (padded * padded).sum() + (h_n * h_n.sum()).sum() + (state[1].sum() if mode == "LSTM" else 0)
    loss.backward()
    found = [out.data, out.batch_sizes, padded, out_lengths, h_n, x.grad, model.weight_ih_l0.grad]
    if with_hx:
        found.append((hx[0] if mode == "LSTM" else hx).grad)
    if proj:
        found += [state[1], hx[1].grad if with_hx else state[1]] + [p.grad for p in model.parameters()]
    return [t.detach().numpy() for t in found]


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 3, 1], True), ([3, 5, 1, 3], False)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_recurrent_layers_on_packed_batches_equal_torch(mode, layers, bidirectional, lengths, enforce_sorted,
                                                        with_hx):
    ours = _run_packed(gn, mode, layers, bidirectional, lengths, enforce_sorted, with_hx)
    theirs = _run_packed(torch, mode, layers, bidirectional, lengths, enforce_sorted, with_hx)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 3, 1], True), ([3, 5, 1, 3], False)])
@pytest.mark.parametrize("with_hx", [False, True])
def test_lstm_with_projection_on_packed_batches_equals_torch(layers, bidirectional, lengths, enforce_sorted,
                                                            with_hx):
    """proj_size=2: h_n (and h_0) have 2 features, c_n (and c_0) 4; c_n, c_0's gradient and every
    parameter's gradient compared too."""
    ours = _run_packed(gn, "LSTM", layers, bidirectional, lengths, enforce_sorted, with_hx, proj=2)
    theirs = _run_packed(torch, "LSTM", layers, bidirectional, lengths, enforce_sorted, with_hx, proj=2)
    assert ours[4].shape[-1] == 2 and ours[0].shape[-1] == 2 * (2 if bidirectional else 1)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _helpers(lib):
    R = lib.nn.utils.rnn
    seqs = [lib.tensor([[1.0, 2.0], [3.0, 4.0]]), lib.tensor([[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]),
            lib.tensor([[11.0, 12.0]])]
    out = {"right": R.pad_sequence(seqs, batch_first=True), "left": R.pad_sequence(seqs, padding_side="left"),
           "time_major": R.pad_sequence(seqs, padding_value=-2.0)}
    packed = R.pack_sequence(seqs, enforce_sorted=False)
    out.update(data=packed.data, sizes=packed.batch_sizes, order=packed.sorted_indices,
               back=packed.unsorted_indices)
    out.update({f"unpacked{i}": s for i, s in enumerate(R.unpack_sequence(packed))})
    padded, lengths = R.pad_packed_sequence(packed, total_length=4)
    out.update(padded=padded.clone(), lengths=lengths)  # torch's unpad_sequence transposes its input in place
    out.update({f"unpadded{i}": s for i, s in enumerate(R.unpad_sequence(padded, lengths))})
    return {k: v.numpy() for k, v in out.items()}


def test_padding_and_packing_helpers_equal_torch():
    ours, theirs = _helpers(gn), _helpers(torch)
    assert ours.keys() == theirs.keys()
    for key in theirs:
        assert ours[key].dtype == theirs[key].dtype, key
        np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def test_bad_lengths_are_refused_with_the_fix():
    R = gn.nn.utils.rnn
    x = gn.zeros(3, 2, 1)
    with pytest.raises(gn.GlassnetValueError, match="decreasing order .* enforce_sorted=False"):
        R.pack_padded_sequence(x, [1, 3])
    with pytest.raises(gn.GlassnetValueError, match="longer than the 3 steps"):
        R.pack_padded_sequence(x, [4, 1])
    with pytest.raises(gn.GlassnetValueError, match="at least 1"):
        R.pack_padded_sequence(x, [3, 0])
    with pytest.raises(gn.GlassnetValueError, match="2 lengths for a batch of 3"):
        R.pack_padded_sequence(x, [3, 1], batch_first=True)
    packed = R.pack_padded_sequence(x, [3, 1])
    with pytest.raises(gn.GlassnetValueError, match="total_length=2 is shorter"):
        R.pad_packed_sequence(packed, total_length=2)
