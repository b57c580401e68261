"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from glassnet._backend import namespace
from glassnet._errors import GlassnetValueError
from glassnet.optim._optimizer import (
    Optimizer,
    add_scaled_,
    check_nonnegative,
    directed_grad,
    refuse_torch_only,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Gradient descent, optionally with (Nesterov) momentum, as ``torch.optim.SGD``.

    Each step, for every parameter ``p`` with gradient ``g``::

        d ← g + wd·p                    (d ← −g + wd·p when maximize)
        v ← d                           (first step, when momentum μ ≠ 0)
        v ← μ·v + (1 − dampening)·d     (later steps)
        d ← d + μ·v  (nesterov)   or   d ← v
        p ← p − lr·d

    State per parameter: ``momentum_buffer`` (``v``, only when μ ≠ 0).

    Args:
        params: the parameters to update (an iterable of Parameters, or of parameter-group
            dicts with their own options).
        lr: the learning rate (default 1e-3).
        momentum: the momentum factor μ (default 0: plain gradient descent).
        dampening: dampening of the momentum, ``1 − dampening`` scales the new gradient.
        weight_decay: the L2 factor ``wd`` added to the gradient as ``wd·p`` (default 0).
        nesterov: use Nesterov momentum (needs μ > 0 and dampening 0).
        maximize: ascend the objective instead of descending it.
        foreach: PyTorch's implementation choice, accepted (one implementation here).
        fused: likewise accepted.
        differentiable: True is refused (the update is not recorded by autograd).

    Example:
        >>> import glassnet as gn
        >>> w = gn.nn.Parameter(gn.tensor([1.0, -2.0]))
        >>> opt = gn.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()          # dL/dw = 2w = [2, -4]
        >>> opt.step()                        # w ← w − 0.1·[2, -4]
        >>> print(w.numpy())
        [ 0.8 -1.6]
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, maximize=False, *, foreach=None, differentiable=False, fused=None):
        refuse_torch_only("SGD", False, differentiable, foreach, fused)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def _check_options(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            check_nonnegative(self, group, key)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise GlassnetValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update_group(self, group):
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov, maximize = (
            group["weight_decay"], group["nesterov"], group["maximize"])
        if momentum == 0 and weight_decay == 0 and not maximize:  # plain SGD: p ← p − lr·g
            for p in group["params"]:
                grad = p.grad
                if grad is not None:
                    add_scaled_(p.array, grad.array, -lr)
            return
        for p in group["params"]:
            if p.grad is None:
                continue
            x = p.array
            xp = namespace(x)
            d, owned = directed_grad(xp, x, p.grad.array, weight_decay, maximize)
            if momentum != 0:
                d, owned = self._momentum(p, xp, d, owned, momentum, dampening, nesterov)
            add_scaled_(x, d, -lr)

    def _momentum(self, p, xp, d, owned, momentum, dampening, nesterov):
        """Update the buffer ``v`` and return the direction to step along."""
        state = self.state[p]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = d.copy()
        else:
            buf *= momentum
            if dampening != 0:
                buf += (1 - dampening) * d
            else:
                buf += d
        if not nesterov:
            return buf, False
        if owned:
            d += momentum * buf
            return d, True
        nd = xp.multiply(buf, momentum, out=xp.empty_like(buf))
        nd += d
        return nd, True
