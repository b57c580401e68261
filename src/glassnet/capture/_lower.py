"""Lowering a captured tape: steps that write into arrays allocated once, and fused groups.

A recorded step calls the primitive's own forward or backward, which allocates its result
every time. After a capture, :func:`lower` swaps the closures of the steps it knows for
ones that compute the same numbers, in the same order of operations, into arrays
allocated once per tape (NumPy's ``out=``), and fuses chains of elementwise work into one
kernel (:mod:`._fused`: numba when installed, else the same chain as NumPy calls):

- ``LinearOp`` forward ``Z = X·Wᵀ + b`` → one GEMM into Z's array, then ``Z += b``; when a
  ReLU is Z's only reader, the bias and the ReLU are one fused pass ``Y = max(Z + b, 0)``;
  backward ``dX = dZ·W``, ``dW = dZᵀ·X``, ``db = Σ_rows dZ`` into their arrays;
- ``ReLU`` forward ``Y = max(X, 0)`` and backward ``dX = dY · [Y > 0]`` (one fused pass);
- ``SoftmaxCrossEntropyIndex`` (mean over rows): the max, shift, exp, row sums and
  probabilities into arrays; backward ``dZ = (Ŷ − Y) / N`` into its array;
- the optimiser update of SGD with momentum and of Adam (see :mod:`._updates`);
- the seed of backward (ones shaped like the loss): one constant array.

An op is lowered only when both its forward and its backward are (a recorded backward
reads what the recorded forward saved on the op). Any other step runs as recorded. A
result the function returns that lives in such an array is copied when returned; the
parameters' ``.grad`` arrays are reused from step to step (as PyTorch's are with
``zero_grad(set_to_none=False)``): copy a gradient that must outlive the next step.
"""

import numpy as np

from glassnet.capture._fused import NumpyKernels, SoftmaxWork
from glassnet.capture._tape import SEED_NOTE, output_slots
from glassnet.capture._updates import UPDATE_FORMULAS, lower_update
from glassnet.ops._activation import ReLU
from glassnet.ops._linear import LinearOp
from glassnet.ops._loss import SoftmaxCrossEntropyIndex

__all__ = ["lower"]


def lower(tape, kernels):
    """Swap the closures of the steps of ``tape`` that have a preallocated or fused form
    (``kernels``: :class:`~glassnet.capture._fused.NumpyKernels` or numba's)."""
    if any(type(tensor.array) is not np.ndarray for _, tensor in tape.leaves):
        return  # CuPy arrays on a GPU: the steps run as recorded (np.* with out= is for host arrays)
    plan = _Plan(tape, kernels)
    for op, (fwd, bwd) in plan.ops.items():
        lowering = _LOWERINGS.get(type(op[0]))
        if lowering is not None and _plain(tape, fwd, bwd):
            lowering(plan, fwd, bwd)
    for i, entry in enumerate(tape.entries):
        if entry.kind == "route" and entry.note == SEED_NOTE:
            _lower_seed(plan, i)
        if entry.kind == "update":
            run = lower_update(entry.op, tape.runs[i], kernels)
            if run is not None:
                tape.runs[i], entry.replay = run, f"fused ({kernels.name})"
                entry.note = f"{type(entry.op).__name__}.step(), fused (its own step() in cases not covered)"
                name = type(entry.op).__name__
                tape.groups.append((f"{name} update", UPDATE_FORMULAS[name], [i]))
    tape.groups.sort(key=lambda group: group[2][0])
    tape.kernels = kernels.name


def _lower_seed(plan, index):
    """The seed of backward, ones shaped like the loss: one read-only array for every replay."""
    (out,) = plan.tape.entries[index].writes
    ones = np.ones(*plan.spec(out))
    ones.flags.writeable = False  # a step that wrote into it would fail loudly, not poison later replays

    def run(env):
        env[out] = ones
    plan.set(index, run, "a constant")


class _Plan:
    """What lowering needs to know about a tape: each op's forward and backward entry,
    who reads each slot, the result slots, and the arrays allocated so far."""

    def __init__(self, tape, kernels):
        self.tape, self.kernels = tape, kernels
        self.ops = {}  # (op,) → [forward index, backward index or None]
        self.readers = {}  # slot → [entry index, ...]
        for i, entry in enumerate(tape.entries):
            if entry.kind in ("forward", "backward"):
                pair = self.ops.setdefault((entry.op,), [None, None])
                pair[entry.kind == "backward"] = i
            for slot in entry.reads:
                self.readers.setdefault(slot, []).append(i)
        self.outputs = set(output_slots(tape.output))
        self.grad_views = _leaf_gradient_arrays(tape)

    def buffer(self, slot, dtype=None):
        """The array slot ``slot`` is written into at every replay."""
        shape, spec_dtype = self.tape.specs[slot]
        if slot in self.outputs:
            self.tape.copy_out.add(slot)
        if slot in self.grad_views and dtype in (None, spec_dtype):
            return self.grad_views[slot]
        return np.empty(shape, dtype or spec_dtype)

    def set(self, index, run, how):
        self.tape.runs[index] = run
        self.tape.entries[index].replay = how

    def spec(self, slot):
        return self.tape.specs[slot]


def _leaf_gradient_arrays(tape):
    """Slot → view, for the gradients that a lowerable op's backward hands straight to a
    leaf's ``.grad``: views of one zeroed array per dtype, side by side in the order the
    leaves are stored, so that the optimiser's update can run over them at once
    (:mod:`._updates`)."""
    writer = {s: e for e in tape.entries if e.kind == "backward" for s in e.writes}
    slots = [e.reads[0] for e in tape.entries if e.kind == "leaf"]
    slots = [s for s in dict.fromkeys(slots) if s in writer and type(writer[s].op) in _LOWERINGS
             and tape.specs[s][1] is not None and tape.specs[s][1].kind == "f"]
    views, by_dtype = {}, {}
    for s in slots:
        by_dtype.setdefault(tape.specs[s][1], []).append(s)
    for dtype, group in by_dtype.items():
        sizes = [int(np.prod(tape.specs[s][0], dtype=np.int64)) for s in group]
        arena, start = np.zeros(sum(sizes), dtype), 0
        for s, n in zip(group, sizes, strict=True):
            views[s] = arena[start: start + n].reshape(tape.specs[s][0])
            start += n
    return views


def _plain(tape, fwd, bwd):
    """A forward (and backward) that the reference ran, on float arrays of one dtype."""
    if fwd is None:
        return False
    entries = [tape.entries[fwd]] + ([tape.entries[bwd]] if bwd is not None else [])
    if any(e.kernel is not None for e in entries):
        return False
    dtype = tape.specs[entries[0].writes[0]][1]
    return dtype is not None and dtype.kind == "f"


# -- LinearOp -------------------------------------------------------------------------------

def _lower_linear(plan, fwd, bwd):
    entry = plan.tape.entries[fwd]
    x, w = entry.reads[0], entry.reads[1]
    b = entry.reads[2] if len(entry.reads) == 3 else None
    (z,) = entry.writes
    (x_shape, dtype), (w_shape, _) = plan.spec(x), plan.spec(w)
    if len(x_shape) != 2 or len(w_shape) != 2 or w_shape[1] == 1 or any(
            plan.spec(s)[1] != dtype for s in entry.reads):
        return
    if bwd is not None and not _lower_linear_backward(plan, bwd, x, w, b):
        return
    relu = _sole_relu_reader(plan, z) if b is not None else None
    z_buf = plan.buffer(z)
    if relu is not None:
        _lower_bias_relu(plan, fwd, relu, x, w, b, z, z_buf)
        return

    def run(env):
        out = env[z] = np.matmul(env[x], env[w].T, out=z_buf)
        if b is not None:
            out += env[b]
    plan.set(fwd, run, "out=")


def _lower_linear_backward(plan, bwd, x, w, b):
    entry = plan.tape.entries[bwd]
    (g,) = entry.reads
    need = entry.op.needs_grad
    wanted = [i for i, n in enumerate(need) if n]
    if len(wanted) != len(entry.writes) or len(plan.spec(g)[0]) != 2:
        return False
    slots = dict(zip(wanted, entry.writes, strict=True))
    (dx, dx_buf), (dw, dw_buf), (db, db_buf) = (
        (slots[i], plan.buffer(slots[i])) if i in slots else (None, None) for i in range(3))

    def run(env):
        dz = env[g]
        if dx is not None:
            env[dx] = np.matmul(dz, env[w], out=dx_buf)
        if dw is not None:
            env[dw] = np.matmul(dz.T, env[x], out=dw_buf)
        if db is not None:
            env[db] = np.add.reduce(dz, axis=0, out=db_buf)  # np.sum's own call, without its Python wrapper
    plan.set(bwd, run, "out=")
    return True


def _sole_relu_reader(plan, z):
    """The forward index of a lowerable ReLU that is the only step reading slot ``z``."""
    readers = plan.readers.get(z, [])
    if len(readers) != 1 or z in plan.outputs:
        return None
    entry = plan.tape.entries[readers[0]]
    if entry.kind != "forward" or type(entry.op) is not ReLU or entry.op.params:
        return None
    fwd, bwd = plan.ops[(entry.op,)]
    return fwd if _plain(plan.tape, fwd, bwd) else None


def _lower_bias_relu(plan, fwd, relu_fwd, x, w, b, z, z_buf):
    """``Y = max(X·Wᵀ + b, 0)``: the GEMM into Z's array, then one fused pass."""
    (y,) = plan.tape.entries[relu_fwd].writes
    y_buf, bias_relu = plan.buffer(y), plan.kernels.bias_relu

    def gemm(env):
        env[z] = np.matmul(env[x], env[w].T, out=z_buf)  # Z without b: the ReLU step adds it

    def run(env):
        bias_relu(z_buf, env[b], y_buf)
        env[y] = y_buf
    plan.set(fwd, gemm, "out= (GEMM; + b fused below)")
    plan.set(relu_fwd, run, f"fused ({plan.kernels.name})")
    plan.tape.groups.append(("bias + ReLU", "Y = max(X·Wᵀ + b, 0): the GEMM, then one pass adds b and clips",
                             [fwd, relu_fwd]))
    _lower_relu_backward(plan, relu_fwd)


# -- ReLU --------------------------------------------------------------------------------------

def _lower_relu(plan, fwd, bwd):
    entry = plan.tape.entries[fwd]
    if entry.op.params or entry.replay:  # params: inplace=True; replay: fused with its Linear already
        return
    (x,), (y,) = entry.reads, entry.writes
    y_buf = plan.buffer(y)

    def run(env):
        env[y] = np.maximum(env[x], 0, out=y_buf)
    plan.set(fwd, run, "out=")
    _lower_relu_backward(plan, fwd)


def _lower_relu_backward(plan, fwd):
    bwd = plan.ops[(plan.tape.entries[fwd].op,)][1]
    if bwd is None or plan.tape.entries[bwd].replay:
        return
    (y,) = plan.tape.entries[fwd].writes
    entry = plan.tape.entries[bwd]
    (g,), (dx,) = entry.reads, entry.writes
    dx_buf = plan.buffer(dx)
    mask = np.empty(dx_buf.shape, bool)
    relu_grad = plan.kernels.relu_grad

    def run(env):
        relu_grad(env[g], env[y], dx_buf, mask)
        env[dx] = dx_buf
    plan.set(bwd, run, f"fused ({plan.kernels.name})")
    plan.tape.groups.append(("ReLU backward", "dX = dY · [Y > 0] in one pass", [bwd]))


# -- softmax + cross-entropy ---------------------------------------------------------------------

def _lower_softmax_ce(plan, fwd, bwd):
    entry = plan.tape.entries[fwd]
    op = entry.op
    if op.params.get("reduction") != "mean" or len(entry.reads) != 2:
        return
    z, labels = entry.reads
    (shape, dtype), (loss,) = plan.spec(z), entry.writes
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0 or plan.spec(labels)[1].kind not in "iu":
        return
    n, work, kernels = shape[0], SoftmaxWork(shape, dtype), plan.kernels

    def run(env):
        losses = kernels.softmax_ce(env[z], env[labels], work)
        env[loss] = np.asarray(losses.sum() / n, dtype=losses.dtype)
    plan.set(fwd, run, "out=" if kernels is NumpyKernels else f"fused ({kernels.name})")
    plan.tape.groups.append(("softmax + cross-entropy", "per row: max, exp, Σ, Ŷ = exp / Σ and "
                             "L_i = log Σ − (z_{y_i} − max); L = mean_i L_i", [fwd]))
    if bwd is None:
        return
    (g,), (dz,) = plan.tape.entries[bwd].reads, plan.tape.entries[bwd].writes
    dz_buf = plan.buffer(dz)

    def backward(env):
        kernels.softmax_ce_grad(work.prob, env[labels], env[g] / n, dz_buf, work.rows)
        env[dz] = dz_buf
    plan.set(bwd, backward, "out=" if kernels is NumpyKernels else f"fused ({kernels.name})")


_LOWERINGS = {LinearOp: _lower_linear, ReLU: _lower_relu, SoftmaxCrossEntropyIndex: _lower_softmax_ce}
