"""``gn.autograd.grad``: gradients of outputs with respect to chosen inputs, returned
rather than stored in ``.grad`` (PyTorch's ``torch.autograd.grad``)."""

from glassnet._errors import GlassnetValueError
from glassnet.autograd._engine import as_grad_array, run_backward, seed_tensor
from glassnet.autograd._tensor import Tensor

__all__ = ["grad"]


def _as_list(value):
    return [value] if isinstance(value, Tensor) else list(value)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None,
         materialize_grads=False):
    """The gradients ``d(Σ outputs·grad_outputs)/d(input)`` for each of ``inputs``.

    Args:
        outputs: a tensor or a sequence of tensors to differentiate.
        inputs: a tensor or a sequence of tensors (leaves or not) to differentiate by.
        grad_outputs: one gradient per output (ones for one-element outputs when None).
        retain_graph: keep the graph for another backward.
        create_graph: compute the gradients with Tensor ops so that they have a graph and
            can be differentiated again (and keep the graph unless ``retain_graph=False``).
        allow_unused: if False (default), an input the outputs do not depend on raises;
            if True its gradient is None (or zeros with ``materialize_grads=True``).

    Returns a tuple of tensors, one per input; ``.grad`` attributes are left untouched.
    """
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise GlassnetValueError(
            f"autograd.grad: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs (one per output)")
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise GlassnetValueError(f"autograd.grad: output {i} does not require grad and has no graph")
    seeds = [as_grad_array(out, g) for out, g in zip(outputs, grad_outputs, strict=True)]
    if create_graph:
        seeds = [seed_tensor(s, g) for s, g in zip(seeds, grad_outputs, strict=True)]
    retain = bool(create_graph if retain_graph is None else retain_graph)
    found = run_backward(outputs, seeds, retain, inputs, create_graph)
    result = []
    for i, (t, g) in enumerate(zip(inputs, found, strict=True)):
        if g is None:
            if not (allow_unused or materialize_grads):
                raise GlassnetValueError(
                    f"autograd.grad: input {i} (shape {tuple(t.shape)}) is not used to compute the outputs; "
                    "pass allow_unused=True to get None for it")
            result.append(Tensor._wrap(t.array * 0, False, None) if materialize_grads else None)
        else:
            result.append(g if create_graph else Tensor._wrap(g.copy(), False, None))
    return tuple(result)
