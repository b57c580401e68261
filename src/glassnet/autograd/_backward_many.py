"""``torch.autograd.backward(tensors, grad_tensors)``: the backward pass of several roots,
their gradients accumulated into the leaves as one ``Tensor.backward`` per root would."""

from glassnet._errors import GlassnetValueError
from glassnet.autograd._tensor import Tensor

__all__ = ["backward"]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Σ over the roots ``tensors`` of each root's backward with its ``grad_tensors`` entry
    (None for a scalar root: 1). The graph is kept between roots (they may share it) and
    freed after the last unless ``retain_graph``."""
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grads = [grad_tensors] + [None] * (len(roots) - 1) if roots else []
    else:
        grads = list(grad_tensors)
    if len(grads) != len(roots):
        raise GlassnetValueError(f"autograd.backward: got {len(roots)} tensors and {len(grads)} "
                                 "grad_tensors; give one gradient (or None) per tensor")
    keep = create_graph if retain_graph is None else retain_graph
    for i, (root, grad) in enumerate(zip(roots, grads, strict=True)):
        last = i == len(roots) - 1
        root.backward(grad, retain_graph=keep if last else True, create_graph=create_graph, inputs=inputs)
