"""The Optimizer base: parameter groups, per-parameter state, zero_grad, step, state_dict.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` plus that group's
options, e.g. ``"lr"``) and ``state`` (a dict keyed by parameter tensor holding
backend arrays such as ``"momentum_buffer"`` and Python numbers such as ``"step"``).
Subclasses write one method, ``_update_group(group)``, which updates ``p.array`` in place
for every parameter of the group whose ``grad`` is not None. The per-parameter pieces the
optimizers share live here: :meth:`Optimizer._stepped` (the loop over parameters with a
gradient, their state made on first sight and its ``step`` counted), :func:`group_direction`
(maximize and weight decay, L2 or decoupled), and the in-place running averages
:func:`average_` and :func:`average_square_`.
"""

import copy
from collections import defaultdict

import numpy as np

from glassnet._backend import namespace, to_numpy
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd import Tensor, enable_grad, no_grad

__all__ = ["Optimizer", "add_scaled_", "average_", "average_square_", "check_betas",
           "check_nonnegative", "directed_grad", "group_direction", "refuse_torch_only", "zeros_state"]


class Optimizer:
    """Base class of every optimizer.

    ``params`` is an iterable of Tensors, or of dicts (parameter groups) each with a
    ``"params"`` list and any options that override ``defaults`` for that group::

        SGD([{"params": body}, {"params": head, "lr": 0.1}], lr=0.01, momentum=0.9)
    """

    _zero_state = ()  # the state arrays :meth:`_init_state` makes as zeros, in PyTorch's order

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        for group in _as_groups(params, type(self).__name__):
            self.add_param_group(group)

    # -- parameter groups -------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"`` and optional options) to optimize."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise GlassnetTypeError(
                f"{name}.add_param_group: expected a dict with a 'params' entry, "
                f"got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise GlassnetValueError(f"{name}.add_param_group: the group has no 'params' entry")
        group = dict(param_group)
        group["params"] = _param_list(group["params"], name)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise GlassnetValueError(
                f"{name}: some parameters appear in more than one parameter group"
            )
        for key, value in self.defaults.items():
            group.setdefault(key, copy.deepcopy(value))
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group):
        """Raise GlassnetValueError for an option out of range (subclasses add theirs)."""
        check_nonnegative(self, group, "lr")

    # -- the update -------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: ``grad = None`` (or fresh zeros).

        The old gradient arrays are never written to (they may be shared).
        """
        for group in self.param_groups:
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor(namespace(grad.array).zeros_like(grad.array))

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()`` if given.

        ``closure`` re-evaluates the model and returns the loss (it runs with gradients
        on); the update itself records no graph.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update_group")

    def _stepped(self, group):
        """``(x, g, xp, state)`` for each parameter of ``group`` that has a gradient: its
        array (to update in place), its gradient's array (never written to), their array
        namespace and its state — made by :meth:`_init_state` the first time, and with
        ``state["step"]`` counted up by one (read it for ``t``)."""
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            x = p.array
            xp = namespace(x)
            state = self.state[p]
            if not state:
                self._init_state(state, xp, x, group)
            state["step"] += 1
            yield x, grad.array, xp, state

    def _init_state(self, state, xp, x, group):
        """A parameter's first state: ``step`` 0, then zeros like ``x`` for each name in
        ``_zero_state``."""
        state["step"] = 0
        for key in self._zero_state:
            state[key] = xp.zeros_like(x)

    # -- saving and resuming ----------------------------------------------------
    def state_dict(self):
        """The optimizer as plain data: ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are numbered in group order, as in PyTorch; each group lists the
        indices of its parameters under ``"params"``. Arrays are copies.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if self.state.get(p):
                    state[index[id(p)]] = {k: _copy_value(v) for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by :meth:`state_dict` (ours or PyTorch's).

        The groups must match this optimizer's in number and size; their saved options
        replace the current ones (options the dict lacks take the defaults). Arrays are
        copied onto each parameter's device and (for floating state) dtype; ``"step"``
        becomes an int.
        """
        name = type(self).__name__
        saved_groups, saved_state = _unpack(state_dict, name)
        params_by_index = self._match_groups(saved_groups, name)
        state = defaultdict(dict)
        for key, values in saved_state.items():
            if key not in params_by_index:
                raise GlassnetValueError(
                    f"{name}.load_state_dict: state for parameter {key!r}, which no "
                    f"parameter group lists (indices: {sorted(params_by_index, key=str)})"
                )
            param = params_by_index[key]
            state[param] = {k: _load_value(param, k, v, key, name, self._tensor_state)
                            for k, v in values.items()}
        groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            restored = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            for key, value in self.defaults.items():
                restored.setdefault(key, copy.deepcopy(value))
            self._check_options(restored)
            restored["params"] = group["params"]
            groups.append(restored)
        self.state = state
        self.param_groups = groups

    @property
    def _tensor_state(self):
        """True for an optimiser written PyTorch's way (its own ``step``), whose state holds
        Tensors; glassnet's optimisers (``_update_group``) keep arrays."""
        cls = type(self)
        return cls.step is not Optimizer.step and not cls.step.__module__.startswith("glassnet.")

    def _match_groups(self, saved_groups, name):
        """Map each saved parameter index to this optimizer's parameter in that place."""
        if len(saved_groups) != len(self.param_groups):
            raise GlassnetValueError(
                f"{name}.load_state_dict: the state dict has {len(saved_groups)} parameter "
                f"group(s); this optimizer has {len(self.param_groups)}"
            )
        params_by_index = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            ids = list(saved.get("params", ()))
            if len(ids) != len(group["params"]):
                raise GlassnetValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(ids)} parameter(s) "
                    f"in the state dict but {len(group['params'])} in this optimizer"
                )
            params_by_index.update(zip(ids, group["params"], strict=True))
        return params_by_index

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join([*lines, ")"])


def directed_grad(xp, param, grad, weight_decay, maximize):
    """The gradient an update follows: ``d = ±g + wd·p`` (``−g`` when maximizing).

    Returns ``(d, owned)``. ``owned`` is False when ``d`` is ``grad`` itself, which the
    caller must not write to (gradient arrays may be shared); otherwise ``d`` is a fresh
    array the caller may reuse as scratch space. (Results are made with ``out=`` so
    that 0-d parameters give 0-d arrays, not NumPy scalars.)
    """
    if weight_decay != 0:
        d = xp.multiply(param, weight_decay, out=xp.empty_like(param))
        if maximize:
            d -= grad
        else:
            d += grad
        return d, True
    if maximize:
        return xp.negative(grad, out=xp.empty_like(grad)), True
    return grad, False


def group_direction(xp, x, grad, group):
    """:func:`directed_grad` with the group's ``weight_decay`` and ``maximize``; when the
    group has ``decoupled_weight_decay`` set, ``p ← p·(1 − lr·wd)`` in place first and
    ``d ← ±g`` (AdamW's rule). Returns ``d`` only: the caller must not write to it."""
    weight_decay = group["weight_decay"]
    if group.get("decoupled_weight_decay") and weight_decay != 0:
        x *= 1 - group["lr"] * weight_decay
        weight_decay = 0
    return directed_grad(xp, x, grad, weight_decay, group["maximize"])[0]


def average_(xp, avg, d, beta, tmp):
    """``avg ← avg + (1 − β)·(d − avg)`` (= β·avg + (1 − β)·d) in place; ``tmp`` is scratch
    of avg's shape."""
    xp.subtract(d, avg, out=tmp)
    tmp *= 1 - beta
    avg += tmp


def average_square_(xp, avg, d, beta, tmp):
    """``avg ← β·avg + (1 − β)·d²`` in place; ``tmp`` is scratch of avg's shape."""
    xp.multiply(d, d, out=tmp)
    tmp *= 1 - beta
    avg *= beta
    avg += tmp


def zeros_state(state, key, xp, x):
    """``state[key]``, made as zeros like ``x`` when missing (an option such as amsgrad or
    momentum turned on after the first step)."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = xp.zeros_like(x)
    return buf


def add_scaled_(x, d, alpha):
    """``x += alpha·d`` in place (one temporary for ``alpha·d``).

    Measured: SciPy's BLAS ``axpy`` avoids the temporary but gained nothing on a
    784-256-256-10 step at one thread, and at two threads its second OpenBLAS thread
    pool fought NumPy's (a step went from 1.5 ms to 15.6 ms) — so plain NumPy it is."""
    x += alpha * d


_SET_MESSAGE = "{name}: parameters must be given in a fixed order (a list), not a set"


def _as_groups(params, name):
    if isinstance(params, Tensor):
        raise GlassnetTypeError(
            f"{name}: params must be an iterable of Tensors or of dicts, got a single "
            "Tensor (wrap it in a list: [t])"
        )
    if isinstance(params, (set, frozenset)):
        raise GlassnetTypeError(_SET_MESSAGE.format(name=name))
    try:
        groups = list(params)
    except TypeError:
        raise GlassnetTypeError(
            f"{name}: params must be an iterable of Tensors or of dicts, "
            f"got {type(params).__name__}"
        ) from None
    if not groups:
        raise GlassnetValueError(f"{name}: got an empty parameter list; nothing to optimize")
    if not isinstance(groups[0], dict):
        groups = [{"params": groups}]
    return groups


def _param_list(params, name):
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, (set, frozenset)):
        raise GlassnetTypeError(_SET_MESSAGE.format(name=name))
    params = list(params)
    ids = set()
    for p in params:
        if not isinstance(p, Tensor):
            raise GlassnetTypeError(
                f"{name}: can only optimize Tensors, got a {type(p).__name__}"
            )
        if not p.is_leaf:
            raise GlassnetValueError(
                f"{name}: cannot optimize a non-leaf tensor (one computed by an op); "
                "optimize the leaf tensors it was computed from"
            )
        if id(p) in ids:
            raise GlassnetValueError(f"{name}: a parameter group lists the same tensor twice")
        ids.add(id(p))
    return params


def check_nonnegative(optimizer, group, *keys):
    """Raise GlassnetValueError naming the first of ``keys`` whose option is below 0."""
    for key in keys:
        value = group[key]
        if not value >= 0:
            raise GlassnetValueError(
                f"{type(optimizer).__name__}: {key} must be >= 0, got {value}"
            )


def check_betas(optimizer, group):
    betas = group["betas"]
    if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
        raise GlassnetValueError(
            f"{type(optimizer).__name__}: betas must be two numbers in [0, 1), got {betas}"
        )


def refuse_torch_only(name, capturable=False, differentiable=False, foreach=None, fused=None):
    """PyTorch's implementation switches. ``foreach`` and ``fused`` are speed hints: any
    value is accepted and the numbers are the same (glassnet has one implementation of each
    update), except both True together, which PyTorch refuses too. ``capturable`` (CUDA-graph
    capture) and ``differentiable`` (autograd through the update) have no glassnet
    counterpart: False is accepted, True refused."""
    if foreach and fused:
        raise GlassnetValueError(f"{name}: `fused` and `foreach` cannot be `True` together (as in PyTorch); "
                                 "pick one (both only choose an implementation, and glassnet has one)")
    for flag, value in (("capturable", capturable), ("differentiable", differentiable)):
        if value:
            raise GlassnetValueError(
                f"{name}: {flag}=True is not supported by glassnet (its updates run in "
                f"NumPy/CuPy outside autograd); leave {flag}=False"
            )


def _copy_value(value):
    """A copy of one state value: arrays and Tensors (what an optimiser written PyTorch's way
    keeps) copied, numbers deep-copied."""
    if isinstance(value, Tensor):
        return Tensor._wrap(value.array.copy(), False, None)
    return value.copy() if hasattr(value, "shape") else copy.deepcopy(value)


def _unpack(state_dict, name):
    if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
        raise GlassnetValueError(
            f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups' "
            "(as returned by state_dict())"
        )
    return state_dict["param_groups"], state_dict["state"]


def _load_value(param, key, value, index, name, as_tensor=False):
    """A copy of one saved state value, on the parameter's device and dtype: an array for
    glassnet's optimisers, a Tensor (``as_tensor``) for one whose own ``step`` reads Tensors."""
    if as_tensor and isinstance(value, Tensor) and key != "step":
        return Tensor._wrap(_load_value(param, key, value.array, index, name), False, None)
    if isinstance(value, Tensor):
        value = value.array
    if key == "step":
        return int(float(value))
    if not hasattr(value, "shape"):
        return copy.deepcopy(value)
    like = param.array
    xp = namespace(like)
    if namespace(value) is np:  # NumPy arrays and scalars, and anything with __array__
        value = np.asarray(value)
    elif xp is np:  # saved on a GPU, loading onto the CPU
        value = to_numpy(value)
    dtype = like.dtype if value.dtype.kind == "f" == like.dtype.kind else None
    array = xp.array(value, dtype=dtype, copy=True)
    if array.ndim and array.shape != like.shape:
        raise GlassnetValueError(
            f"{name}.load_state_dict: state {key!r} of parameter {index} has shape "
            f"{tuple(array.shape)} but the parameter has shape {tuple(like.shape)}"
        )
    return array
