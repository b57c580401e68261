"""L-BFGS: quasi-Newton steps from a short history of gradient changes (closure-based)."""

import numpy as np

from glassnet._backend import namespace
from glassnet._errors import GlassnetTypeError, GlassnetValueError
from glassnet.autograd import enable_grad, no_grad
from glassnet.optim._line_search import strong_wolfe
from glassnet.optim._optimizer import Optimizer, _unpack, check_nonnegative

__all__ = ["LBFGS"]


class LBFGS(Optimizer):
    r"""Limited-memory BFGS, as ``torch.optim.LBFGS`` (same defaults, same iterations).

    All parameters form one flat vector ``x`` with gradient ``g``. Each ``step(closure)``
    runs up to ``max_iter`` iterations; ``closure()`` must zero the gradients, compute the
    loss, call ``backward()`` and return the loss. One iteration::

        y ← g − g_prev,  s ← t·d                         (the last step's changes)
        if yᵀs > 1e-10: remember (s, y), ρ = 1/(yᵀs); H ← yᵀs / yᵀy
        d ← −H̃·g  by the two-loop recursion over the last ``history_size`` pairs
            q ← −g;  for i newest→oldest: αᵢ ← ρᵢ·sᵢᵀq,  q ← q − αᵢ·yᵢ
            r ← H·q;  for i oldest→newest: βᵢ ← ρᵢ·yᵢᵀr,  r ← r + (αᵢ − βᵢ)·sᵢ;  d ← r
        t ← lr  (first iteration ever: min(1, 1/Σ|g|)·lr)
        x ← x + t·d      (with line_search_fn="strong_wolfe": t from a strong-Wolfe search)

    It stops early when ``max|g| ≤ tolerance_grad``, when ``max|t·d|`` or the change of
    the loss falls below ``tolerance_change``, or after ``max_eval`` closure calls
    (default ``max_iter·5//4``). Returns the loss of the first closure call. One
    parameter group only. State (on the first parameter, as PyTorch): ``func_evals``,
    ``n_iter``, ``d``, ``t``, ``old_dirs`` (y), ``old_stps`` (s), ``ro``, ``H_diag``,
    ``prev_flat_grad``, ``prev_loss``, ``al``.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group):
        if self.param_groups:
            raise GlassnetValueError(
                "LBFGS doesn't support per-parameter options (parameter groups); give one "
                "list of parameters")
        super().add_param_group(param_group)

    def _check_options(self, group):
        check_nonnegative(self, group, "lr")
        for key in ("max_iter", "max_eval", "history_size"):
            value = group[key]
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise GlassnetValueError(f"LBFGS: {key} must be a positive int, got {value!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise GlassnetValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe' (the only search "
                f"PyTorch has), got {group['line_search_fn']!r}")

    # -- the flat vector of all parameters ------------------------------------------
    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            xp = namespace(p.array)
            views.append(xp.zeros(p.array.size, p.array.dtype) if p.grad is None
                         else p.grad.array.reshape(-1))
        return namespace(views[0]).concatenate(views)

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            n = p.array.size
            p.array += step_size * update[offset:offset + n].reshape(p.array.shape)
            offset += n

    def _clone_param(self):
        return [p.array.copy() for p in self._params]

    def _set_param(self, params_data):
        for p, data in zip(self._params, params_data, strict=True):
            p.array[...] = data

    def _directional_evaluate(self, closure, x, t, d):
        """``(loss, flat_grad)`` at ``x + t·d``; the parameters are left at ``x``."""
        self._add_grad(t, d)
        loss = _evaluate(closure)
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- one step ---------------------------------------------------------------------
    def step(self, closure=None):
        """Run up to ``max_iter`` iterations; return the first ``closure()`` value."""
        if closure is None:
            raise GlassnetTypeError(
                "LBFGS.step: needs a closure that zeroes the gradients, computes the loss, "
                "calls backward() and returns the loss: opt.step(closure)")
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if abs(flat_grad).max() <= group["tolerance_grad"]:
            return orig_loss
        with no_grad():
            self._iterate(closure, group, state, loss, flat_grad)
        return orig_loss

    def _iterate(self, closure, group, state, loss, flat_grad):
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_change = group["tolerance_change"]
        current_evals, n_iter = 1, 0
        d, t, prev_flat_grad, prev_loss = (state.get(k) for k in ("d", "t", "prev_flat_grad",
                                                                  "prev_loss"))
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            d = self._direction(state, group, flat_grad, prev_flat_grad, d, t)
            prev_flat_grad, prev_loss = flat_grad.copy(), loss
            t = (min(1.0, 1.0 / abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr)
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break
            loss, flat_grad, t, evals, opt_cond = self._move(
                closure, group, d, t, loss, flat_grad, gtd, max_eval - current_evals,
                last=n_iter == max_iter)
            current_evals += evals
            state["func_evals"] += evals
            if (n_iter == max_iter or current_evals >= max_eval or opt_cond
                    or abs(d * t).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break
        state.update(d=d, t=t, prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)

    def _direction(self, state, group, flat_grad, prev_flat_grad, d, t):
        """The search direction: −g at first, else −H̃·g by the two-loop recursion."""
        if state["n_iter"] == 1:
            state.update(old_dirs=[], old_stps=[], ro=[], H_diag=1)
            return -flat_grad
        old_dirs, old_stps, ro = state["old_dirs"], state["old_stps"], state["ro"]
        y = flat_grad - prev_flat_grad
        s = d * t
        ys = y.dot(s)
        if ys > 1e-10:
            if len(old_dirs) == group["history_size"]:
                old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
            old_dirs.append(y), old_stps.append(s), ro.append(1.0 / ys)
            state["H_diag"] = ys / y.dot(y)
        al = state.setdefault("al", [None] * group["history_size"])
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_stps[i].dot(q) * ro[i]
            q -= al[i] * old_dirs[i]
        r = q * state["H_diag"]
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += (al[i] - be_i) * old_stps[i]
        return r

    def _move(self, closure, group, d, t, loss, flat_grad, gtd, max_ls, last):
        """Step along ``d``; returns ``(loss, flat_grad, t, evaluations, converged)``."""
        tolerance_grad = group["tolerance_grad"]
        if group["line_search_fn"] is not None:
            x_init = self._clone_param()
            loss, flat_grad, t, evals = strong_wolfe(
                lambda x, step, direction: self._directional_evaluate(closure, x, step,
                                                                      direction),
                x_init, t, d, loss, flat_grad, gtd, max_ls=max_ls)
            self._add_grad(t, d)
            return loss, flat_grad, t, evals, abs(flat_grad).max() <= tolerance_grad
        self._add_grad(t, d)
        if last:  # PyTorch skips the re-evaluation after the last iteration
            return loss, flat_grad, t, 0, False
        loss = _evaluate(closure)
        flat_grad = self._gather_flat_grad()
        return loss, flat_grad, t, 1, abs(flat_grad).max() <= tolerance_grad

    def load_state_dict(self, state_dict):
        """Restore options and the flat-vector state saved by :meth:`state_dict`."""
        saved_groups, saved = _unpack(state_dict, "LBFGS")
        self._match_groups(saved_groups, "LBFGS")
        group = {k: v for k, v in saved_groups[0].items() if k != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_options(group)
        group["params"] = self._params
        self.param_groups = [group]
        self.state.clear()
        for values in saved.values():  # one entry at most: all state sits on parameter 0
            self.state[self._params[0]] = {k: _restore(v) for k, v in values.items()}


def _evaluate(closure):
    with enable_grad():
        return float(closure())


def _restore(value):
    """A saved LBFGS state value as NumPy arrays (lists element by element)."""
    if isinstance(value, list):
        return [_restore(v) for v in value]
    if hasattr(value, "detach"):  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    return value.copy() if hasattr(value, "copy") and hasattr(value, "shape") else value
