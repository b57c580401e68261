"""The strong-Wolfe line search of LBFGS (PyTorch's port of minFunc, step for step).

Along a direction ``d`` from ``x``, find a step ``t`` with

    f(x + t·d) ≤ f(x) + c1·t·∇f(x)ᵀd        (sufficient decrease)
    |∇f(x + t·d)ᵀd| ≤ c2·|∇f(x)ᵀd|          (curvature)

first by growing ``t`` until an interval is known to hold such a step (bracketing), then
by shrinking that interval with cubic interpolation (zoom). ``obj_func(x, t, d)``
returns ``(loss, flat_grad)`` at ``x + t·d`` and leaves the parameters at ``x``.
"""

__all__ = ["strong_wolfe"]


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through ``(x1, f1)``, ``(x2, f2)`` with slopes ``g1``,
    ``g2``, clamped to ``bounds`` (default: the interval itself); the midpoint when the
    cubic has no minimum."""
    if bounds is not None:
        low, high = bounds
    else:
        low, high = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square**0.5
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, low), high)
    return (low + high) / 2.0


class _Probe:
    """One point of the search: step t, loss f, flat gradient g, slope gtd = gᵀd."""

    __slots__ = ("t", "f", "g", "gtd")

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                 max_ls=25):
    """Returns ``(loss, flat_grad, t, evaluations)`` at the step found."""
    d_norm = float(abs(d).max())
    start = _Probe(0, f, g.copy(), gtd)
    f_new, g_new = obj_func(x, t, d)
    new = _Probe(t, f_new, g_new, g_new.dot(d))
    bracket, done, ls_iter, evals = _bracket(obj_func, x, d, start, new, c1, c2, max_ls)
    if not done:
        evals = _zoom(obj_func, x, d, start, bracket, (c1, c2, tolerance_change, d_norm),
                      ls_iter, evals, max_ls)
    best = bracket.low
    return best.f, best.g, best.t, evals


class _Bracket:
    """The interval [low, high] (low: the lower loss) that holds an acceptable step."""

    def __init__(self, probes, done=False):
        self.probes = probes
        self.done = done
        self.order()

    def order(self):
        p = self.probes
        self.low_pos, self.high_pos = (0, 1) if p[0].f <= p[-1].f else (1, 0)

    @property
    def low(self):
        return self.probes[self.low_pos]

    @property
    def high(self):
        return self.probes[self.high_pos]


def _bracket(obj_func, x, d, start, new, c1, c2, max_ls):
    """Grow the step until [previous, new] brackets an acceptable one (or new is one)."""
    prev = start
    evals, ls_iter = 1, 0
    while ls_iter < max_ls:
        if new.f > start.f + c1 * new.t * start.gtd or (ls_iter > 1 and new.f >= prev.f):
            return _Bracket([prev, _copy(new)]), False, ls_iter, evals
        if abs(new.gtd) <= -c2 * start.gtd:
            return _Bracket([new], done=True), True, ls_iter, evals
        if new.gtd >= 0:
            return _Bracket([prev, _copy(new)]), False, ls_iter, evals
        min_step = new.t + 0.01 * (new.t - prev.t)
        max_step = new.t * 10
        t = cubic_interpolate(prev.t, prev.f, prev.gtd, new.t, new.f, new.gtd,
                              bounds=(min_step, max_step))
        prev = _copy(new)
        f_new, g_new = obj_func(x, t, d)
        new = _Probe(t, f_new, g_new, g_new.dot(d))
        evals += 1
        ls_iter += 1
    return _Bracket([start, new]), False, ls_iter, evals  # out of evaluations


def _copy(probe):
    return _Probe(probe.t, probe.f, probe.g.copy(), probe.gtd)


def _zoom(obj_func, x, d, start, bracket, constants, ls_iter, evals, max_ls):
    """Shrink the bracket (in place) by cubic interpolation until a step satisfies both
    conditions; returns the number of evaluations so far."""
    c1, c2, tolerance_change, d_norm = constants
    insufficient_progress = False
    probes = bracket.probes
    while ls_iter < max_ls:
        if abs(probes[1].t - probes[0].t) * d_norm < tolerance_change:
            break
        t = cubic_interpolate(probes[0].t, probes[0].f, probes[0].gtd,
                              probes[1].t, probes[1].f, probes[1].gtd)
        t, insufficient_progress = _keep_off_the_ends(t, probes, insufficient_progress)
        f_new, g_new = obj_func(x, t, d)
        new = _Probe(t, f_new, g_new.copy(), g_new.dot(d))
        evals += 1
        ls_iter += 1
        if new.f > start.f + c1 * t * start.gtd or new.f >= bracket.low.f:
            probes[bracket.high_pos] = new
            bracket.order()
            continue
        if abs(new.gtd) <= -c2 * start.gtd:
            probes[bracket.low_pos] = new
            break
        if new.gtd * (bracket.high.t - bracket.low.t) >= 0:
            probes[bracket.high_pos] = bracket.low
        probes[bracket.low_pos] = new
    return evals


def _keep_off_the_ends(t, probes, insufficient_progress):
    """Move ``t`` to 10 % inside the bracket when it lands too close to an end twice."""
    top, bottom = max(p.t for p in probes), min(p.t for p in probes)
    eps = 0.1 * (top - bottom)
    if min(top - t, t - bottom) >= eps:
        return t, False
    if insufficient_progress or t >= top or t <= bottom:
        t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
        return t, False
    return t, True
