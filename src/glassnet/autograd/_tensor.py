"""The Tensor: an array plus what autograd needs (requires_grad, grad, the op that made it).

Arithmetic, reductions and shape methods are thin: each calls the function of the same
name in :mod:`glassnet.ops`, where the primitive lives with its forward and backward.
Imports flow one way (ops build on Tensor), so this module never imports ops: the ops
layer hands itself over with :func:`install_ops` when it loads, and the methods look
their function up there at call time.
"""


import numpy as np

from glassnet._backend import device_of, get_default_dtype, namespace, to_numpy
from glassnet._errors import GlassnetError, GlassnetTypeError, GlassnetValueError
from glassnet.autograd import _conversion, _inplace, _methods
from glassnet.autograd._conversion import ConversionMethods
from glassnet.autograd._engine import as_grad_array, run_backward, seed_tensor
from glassnet.autograd._inplace import InPlaceMethods
from glassnet.autograd._methods import TorchMethods
from glassnet.autograd._printing import PRINT_OPTIONS
from glassnet.autograd._size import Size

__all__ = ["Tensor", "as_array", "install_ops"]


class _OpsNotLoaded:
    """Stands in for the ops layer until :func:`install_ops` runs (``import glassnet``
    always loads ops, so users never meet it)."""

    def __getattr__(self, name):
        raise GlassnetError(f"Tensor: the operation {name!r} lives in glassnet.ops, which is not "
                            "loaded yet; import glassnet first")


_ops = _OpsNotLoaded()


def install_ops(ops_module):
    """Called by :mod:`glassnet.ops` once loaded: Tensor methods call its functions."""
    global _ops
    _ops = _inplace.ops = _methods.ops = _conversion.ops = ops_module

_NUMERIC_KINDS = "biufc"  # complex values are held (gn.fft) but never carry gradients


def as_array(data, dtype=None):
    """Turn nested lists, scalars or arrays into a numeric array, with clear errors."""
    if isinstance(data, Tensor):
        data = data.array
    if dtype is None and _has_python_float(data):
        dtype = get_default_dtype()
    xp = namespace(data)
    try:
        arr = xp.asarray(data, dtype=dtype)
    except ValueError as exc:
        if "inhomogeneous" in str(exc) or "sequence" in str(exc):
            raise GlassnetValueError(
                f"tensor: nested lists must be rectangular (every row the same length); "
                f"got a ragged list: {_preview(data)}"
            ) from exc
        raise GlassnetTypeError(
            f"tensor: cannot make a numeric array from {_preview(data)}: {exc}"
        ) from exc
    except TypeError as exc:
        raise GlassnetTypeError(
            f"tensor: cannot make a numeric array from {_preview(data)}: {exc}"
        ) from exc
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise GlassnetTypeError(
            f"tensor: data must be numbers (bool, int, float or complex); got dtype {arr.dtype} "
            f"from {_preview(data)}"
        )
    return arr


def _is_size(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _has_python_float(data):
    """True if a Python float appears in (possibly nested) lists: torch then uses the
    default float dtype rather than NumPy's float64. NumPy scalars keep their dtype."""
    if isinstance(data, float):
        return not isinstance(data, np.generic)  # np.float64 subclasses float
    if isinstance(data, (list, tuple)):
        return any(_has_python_float(d) for d in data)
    return False


def _preview(data, limit=60):
    text = repr(data)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _HookHandle:
    """What ``register_hook`` returns: ``remove()`` takes the hook away."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks, self.id = hooks, _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)


class Tensor(InPlaceMethods, ConversionMethods, TorchMethods):
    """An n-dimensional array that records the operations applied to it.

    ``array`` is the backend array (NumPy or CuPy); ``data`` is PyTorch's: a Tensor sharing
    that memory, cut from the graph. ``requires_grad`` asks autograd to
    compute ``grad`` (a Tensor of the same shape) when ``backward()`` is called on a
    result. Make tensors with :func:`glassnet.tensor`, :func:`glassnet.zeros`, ...

    Args:
        data: the values (an array keeps its dtype, a list takes the default float dtype),
            or, with ``sizes``, the first size of an uninitialised tensor; None gives an
            empty tensor.
        *sizes: the other sizes of an uninitialised tensor, as in ``Tensor(2, 3)``.
        requires_grad: whether autograd records operations on it and fills ``grad``.
        dtype: the dtype (default: the array's, or glassnet's default float dtype).

    Shape:
        ``t.shape`` is a tuple of ints, ``t.grad`` (after ``backward``) the same shape.

    Example:
        >>> import glassnet as gn
        >>> t = gn.Tensor([1, 2])                  # a list gives floats, as in PyTorch
        >>> t, t.dtype
        (tensor([1., 2.]), dtype('float32'))
        >>> gn.Tensor(2, 3).shape                  # sizes only: uninitialised
        (2, 3)
        >>> x = gn.tensor([1.0, -2.0, 3.0], requires_grad=True)
        >>> y = (x * x).sum()                      # y = Σ x², so dy/dx = 2x
        >>> y.item()
        14.0
        >>> y.backward()
        >>> x.grad
        tensor([ 2., -4.,  6.])
        >>> x.detach().numpy()
        array([ 1., -2.,  3.], dtype=float32)
    """

    # The three attributes every op sets live in slots; rarely-set ones fall back to
    # class defaults (an instance dict is only made when one is assigned).
    __slots__ = ("array", "_requires_grad", "_ctx", "__dict__", "__weakref__")
    grad = None
    name = None
    _retains_grad = False
    _hooks = None  # {handle id: hook} called with this tensor's gradient during backward
    __array_ufunc__ = None  # NumPy defers to our reflected operators: array + tensor

    def __init__(self, data=None, *sizes, requires_grad=False, dtype=None):
        """``Tensor(data)`` holds ``data``: an array keeps its dtype, a Python list takes the
        default float dtype (PyTorch's ``torch.Tensor([1, 2])`` is float). ``Tensor(2, 3)``
        (sizes only) is an uninitialised tensor of that shape and ``Tensor()`` an empty one,
        as in PyTorch; :func:`glassnet.tensor` is the constructor to prefer."""
        if data is None or (_is_size(data) and all(map(_is_size, sizes))):
            shape = () if data is None else (data, *sizes)
            self.array = np.empty(shape if shape else (0,), dtype=dtype or get_default_dtype())
        elif sizes:
            raise GlassnetTypeError(f"Tensor: got data {_preview(data)} and also sizes {sizes}; pass one or "
                                    "the other (gn.tensor(data) or gn.empty(*sizes))")
        else:
            if dtype is None and isinstance(data, (list, tuple)):
                dtype = get_default_dtype()
            self.array = as_array(data, dtype)
        self._ctx = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _wrap(cls, array, requires_grad, ctx):
        """Fast constructor for ops: no checks, no copies."""
        t = object.__new__(cls)
        t.array = array
        t._requires_grad = requires_grad
        t._ctx = ctx
        return t

    @property
    def data(self):
        """This tensor's values as a Tensor cut from the graph (``requires_grad=False``), sharing
        its memory, as PyTorch's ``t.data``: in-place methods on it (``p.data.add_(g)``,
        ``w.grad.data.zero_()``) change ``t`` without being recorded. ``t.array`` is the backend
        array itself."""
        return Tensor._wrap(self.array, False, None)

    @data.setter
    def data(self, value):
        """``t.data = other`` replaces the values (and shape) as PyTorch does: a Tensor gives its
        array (shared, not copied); anything else is converted as :func:`glassnet.tensor` would."""
        self.array = value.array if isinstance(value, Tensor) else as_array(value, None)

    # -- autograd ---------------------------------------------------------------
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if flag and self.array.dtype.kind == "c":
            raise GlassnetTypeError(
                f"requires_grad: glassnet holds complex tensors ({self.array.dtype}) for gn.fft but does not "
                "differentiate through them; keep the parameters real (a complex number as two real ones: "
                "gn.view_as_complex of a (..., 2) tensor, computed under gn.no_grad())"
            )
        if flag and self.array.dtype.kind != "f":
            raise GlassnetTypeError(
                f"requires_grad: only floating tensors can require gradients; this tensor "
                f"has dtype {self.array.dtype} (make it with dtype=gn.float32, or call .float())"
            )
        if not flag and self._ctx is not None:
            raise GlassnetValueError(
                "requires_grad: cannot turn gradients off on a non-leaf tensor; use .detach()"
            )
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        """True for tensors made by the user rather than by an op that tracks gradients."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op (a :class:`Function`) that made this tensor, or None for a leaf."""
        return self._ctx

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        self._retains_grad = True
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf needing it.

        Args:
            gradient: same shape as self; required unless self holds one element.
            retain_graph: keep the graph for another backward (it can be walked once);
                defaults to ``create_graph``.
            create_graph: compute the gradients with Tensor ops, so that they have a graph
                and can be differentiated again (``x.grad`` requires grad): second
                derivatives, gradient penalties, Hessian-vector products.
            inputs: accumulate only into these tensors' ``.grad`` (leaves or not); only
                the ops on a path to them run.

        Example:
            >>> x = gn.tensor(2.0, requires_grad=True)
            >>> (x ** 3).backward(create_graph=True)
            >>> x.grad                        # 3x² = 12, itself with a graph
            >>> (dx,) = gn.autograd.grad(x.grad, x)   # 6x = 12
        """
        if not self._requires_grad:
            raise GlassnetValueError(
                "backward: this tensor does not require grad and has no graph; set "
                "requires_grad=True on the inputs (leaf tensors) before computing it"
            )
        retain = bool(create_graph if retain_graph is None else retain_graph)
        seed = as_grad_array(self, gradient)
        if create_graph:
            seed = seed_tensor(seed, gradient)
        if inputs is None:
            run_backward(self, seed, retain, create_graph=create_graph)
            return
        targets = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t, g in zip(targets, run_backward(self, seed, retain, targets, create_graph), strict=True):
            if g is None:
                continue
            if create_graph:
                t.grad = g if t.grad is None else t.grad + g
            else:
                t.grad = Tensor._wrap(g.copy() if t.grad is None else t.grad.array + g, False, None)

    def register_hook(self, hook):
        """Call ``hook(grad)`` whenever this tensor's gradient is computed in backward; a
        returned tensor replaces the gradient. Returns a handle whose ``remove()`` undoes it."""
        if not self._requires_grad:
            raise GlassnetValueError("register_hook: this tensor does not require grad, so no gradient "
                                     "will be computed for it; set requires_grad=True first")
        if self._hooks is None:
            self._hooks = {}
        handle = _HookHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    def detach(self):
        """A tensor sharing this data, cut from the graph (requires_grad=False)."""
        return Tensor._wrap(self.array, False, None)

    def detach_(self):
        self._ctx = None
        self._requires_grad = False
        return self

    # -- attributes -------------------------------------------------------------
    @property
    def shape(self):
        return Size(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return device_of(self.array)

    @property
    def T(self):
        """The tensor with its axes reversed (the transpose of a matrix)."""
        return _ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        """The last two axes swapped (a batch of transposed matrices)."""
        return _ops.swapaxes(self, -1, -2)

    def size(self, dim=None):
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    def numel(self):
        return int(self.array.size)

    def dim(self):
        return self.array.ndim

    def __len__(self):
        if self.ndim == 0:
            raise GlassnetTypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    # -- sparse (held dense: see glassnet.sparse) ----------------------------------
    @property
    def is_sparse(self):
        """False: glassnet keeps every tensor dense (``sparse_coo_tensor`` included)."""
        return False

    def to_dense(self):
        """The tensor itself: it is dense already (see :mod:`glassnet.sparse`)."""
        return self

    def coalesce(self):
        """The tensor itself (a dense tensor has nothing to merge)."""
        return self

    def __iter__(self):
        """The sub-tensors along the first axis, ``x[0], x[1], …`` (as PyTorch; a 0-d tensor
        raises instead of yielding nothing)."""
        if self.ndim == 0:
            raise GlassnetTypeError("iteration over a 0-d tensor (use .item() for its number)")
        return (self[i] for i in range(self.array.shape[0]))

    # -- conversion (to, type, float, cpu, …: see glassnet.autograd._conversion) --
    def numpy(self):
        """The data as a NumPy array (shared memory on the CPU; a copy from a GPU)."""
        return to_numpy(self.array)

    def __array__(self, dtype=None, copy=None):
        arr = to_numpy(self.array)
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        if self.array.size != 1:
            raise GlassnetValueError(
                f"item: only a one-element tensor converts to a Python number; "
                f"this one has shape {tuple(self.shape)}"
            )
        return self.array.reshape(()).item()

    def tolist(self):
        return to_numpy(self.array).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iub":
            raise GlassnetTypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise GlassnetValueError(
                f"the truth value of a tensor of shape {tuple(self.shape)} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __repr__(self):
        arr = to_numpy(self.array)
        body = np.array2string(arr, separator=", ", prefix="tensor(", **PRINT_OPTIONS)
        extras = []
        if arr.dtype not in (get_default_dtype(), np.dtype(np.int64), np.dtype(np.bool_)):
            extras.append(f"dtype={arr.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    def __format__(self, format_spec):
        """``f"{loss:.4f}"`` formats a 0-d tensor's number, as PyTorch; other tensors take
        only the empty spec (their repr)."""
        if self.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    __hash__ = object.__hash__

    # -- in-place updates: see glassnet.autograd._inplace (add_, zero_, x[i] = v, ...) --------

    # -- operators --------------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    def __lt__(self, other):
        return _ops.compare(self, other, "lt")

    def __le__(self, other):
        return _ops.compare(self, other, "le")

    def __gt__(self, other):
        return _ops.compare(self, other, "gt")

    def __ge__(self, other):
        return _ops.compare(self, other, "ge")

    def __eq__(self, other):
        return _ops.compare(self, other, "eq")

    def __ne__(self, other):
        return _ops.compare(self, other, "ne")

    # -- methods mirroring glassnet functions (PyTorch names) -------------------
    def add(self, other, *, alpha=1):
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.div(self, other, rounding_mode=rounding_mode)

    divide, multiply, subtract, true_divide = div, mul, sub, div

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def neg(self):
        return _ops.neg(self)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip

    def relu(self):
        return _ops.relu(self)

    def leaky_relu(self, negative_slope=0.01):
        return _ops.leaky_relu(self, negative_slope)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def gelu(self, approximate="none"):
        return _ops.gelu(self, approximate)

    def softmax(self, dim, dtype=None):
        return _ops.softmax(self, dim, dtype=dtype)

    def log_softmax(self, dim, dtype=None):
        return _ops.log_softmax(self, dim, dtype=dtype)

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.sum(self, dim, keepdim, dtype=dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return _ops.mean(self, dim, keepdim, dtype=dtype)

    def max(self, dim=None, keepdim=False):
        return _ops.max(self, dim, keepdim)

    def min(self, dim=None, keepdim=False):
        return _ops.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.argmin(self, dim, keepdim)

    def logsumexp(self, dim=None, keepdim=False):
        return _ops.logsumexp(self, dim, keepdim)

    def var(self, dim=None, correction=1, keepdim=False, *, unbiased=None):
        return _ops.var(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def std(self, dim=None, correction=1, keepdim=False, *, unbiased=None):
        return _ops.std(self, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)

    def any(self, dim=None, keepdim=False):
        return _ops.any(self, dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return _ops.all(self, dim, keepdim)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def transpose(self, dim0, dim1):
        return _ops.swapaxes(self, dim0, dim1)

    def swapaxes(self, dim0, dim1):
        return _ops.swapaxes(self, dim0, dim1)

    def expand(self, *shape):
        return _ops.expand(self, *shape)

    def broadcast_to(self, shape):
        return _ops.expand(self, shape)

    def where(self, condition, other):
        return _ops.where(condition, self, other)

