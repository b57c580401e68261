"""∂x/∂α of a draw x ~ Gamma(α, 1) with its quantile u = F(x; α) held fixed — the implicit
reparameterisation gradient ∂x/∂α = −∂_αF(x; α) / p(x; α) — exactly (to float64 rounding),
by one of two forms whose terms all have one sign, so nothing cancels:

* x ≤ e^{ψ(α)} (the lower part): from the series P(α, x) = x^α e^{−x}/Γ(α + 1) · S,
  S = Σ_n c_n, c_n = xⁿ/((α + 1)…(α + n)):
  ∂x/∂α = (x/α)·(S·(ψ(α + 1) − log x) + Σ_n c_n·h_n),  h_n = Σ_{k≤n} 1/(α + k)
* x > e^{ψ(α)} (the upper part): from Q(α, x) = p(x; α)·J₀ with t = x·e^s:
  ∂x/∂α = J₀·(log x − ψ(α)) + J₁,  J_m = x·∫₀^∞ s^m·e^{αs − x(e^s − 1)} ds
  (composite Gauss–Legendre over [0, the point where the integrand is e^{−40} of its peak]).

The same two forms give the cdf P(α, x) (= x^α e^{−x} S/Γ(α + 1) below, 1 − p(x; α)·J₀ above),
and its α-derivative −p(x; α)·∂x/∂α, for ``Gamma.cdf``.
"""

import numpy as np

from glassnet._backend import generator_or_default, namespace, to_numpy
from glassnet._errors import GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.ops._special_math import digamma_array, lgamma_array

__all__ = ["GammaCdf", "StandardGamma", "regularized_gamma", "standard_gamma_grad"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_PANELS = 64
_CHUNK = 1024


def standard_gamma_grad(alpha, x):
    """∂x/∂α for float64 arrays ``alpha`` > 0 and draws ``x`` > 0 of one shape."""
    return _both(alpha, x)[0]


def regularized_gamma(alpha, x):
    """P(α, x) = γ(α, x)/Γ(α), the Gamma(α, 1) cdf, for float64 arrays ``alpha`` > 0, ``x`` ≥ 0."""
    return _both(alpha, x)[1]


def _both(alpha, x):
    """(∂x/∂α, P(α, x)) elementwise, each part of the domain by its form (the module's docstring)."""
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    grad, cdf = np.zeros(alpha.shape), np.zeros(alpha.shape)
    psi = digamma_array(alpha)
    with np.errstate(divide="ignore"):
        log_x = np.log(x)
    positive = x > 0
    lower = positive & (log_x <= psi)
    a, xl, pl = alpha[lower], x[lower], psi[lower]
    S, Sh = _series(a, xl, pl)
    psi1, log_xl = pl + 1 / a, np.log(xl)  # ψ(α + 1) = ψ(α) + 1/α
    grad[lower] = (xl / a) * (S * (psi1 - log_xl) + Sh)
    cdf[lower] = np.exp(a * log_xl - xl - lgamma_array(a + 1)) * S
    upper = np.flatnonzero((positive & ~lower).ravel())
    flat_grad, flat_cdf = grad.reshape(-1), cdf.reshape(-1)
    a_flat, x_flat, psi_flat = alpha.ravel(), x.ravel(), psi.ravel()
    for start in range(0, upper.size, _CHUNK):  # bounded memory: (panels·nodes) values per element
        idx = upper[start:start + _CHUNK]
        a, xu, pu = a_flat[idx], x_flat[idx], psi_flat[idx]
        log_scale, J0, J1 = _integrals(a, xu)  # J_m = e^{log_scale}·(the sums)
        flat_grad[idx] = np.exp(log_scale) * (J0 * (np.log(xu) - pu) + J1)
        log_density = (a - 1) * np.log(xu) - xu - lgamma_array(a)
        flat_cdf[idx] = -np.expm1(log_density + log_scale + np.log(J0))  # P = 1 − p(x)·J₀
    return grad, cdf


def _series(a, x, psi):
    """S = Σ c_n and Σ c_n·h_n, to float64 rounding (x < α, so every ratio x/(α + n) < 1)."""
    log_x, psi1 = np.log(x), psi + 1 / a
    c, h, S, Sh = np.ones_like(a), np.zeros_like(a), np.ones_like(a), np.zeros_like(a)
    for n in range(1, 10_000_000):
        c = c * (x / (a + n))
        h = h + 1 / (a + n)
        S, Sh = S + c, Sh + c * h
        ratio = x / (a + n + 1)  # what is left is below c·r/(1 − r)
        tail = c * ratio / (1 - ratio) * (1 + h + 1 / (a + n + 1) + np.abs(log_x - psi1))
        if (tail <= 1e-17 * np.minimum(S * (psi1 - log_x) + Sh, S)).all():
            break
    else:
        raise GlassnetValueError("Gamma: the incomplete-gamma series did not converge")
    return S, Sh


def _exponent(a, x, s):
    return a * s - x * np.expm1(s)


def _integrals(a, x):
    """log of the common factor x·e^{peak} and the two sums ∫ s^m e^{αs − x(e^s − 1) − peak} ds, m = 0, 1."""
    peak = np.where(x < a, np.log(a / np.where(x < a, x, a)), 0.0)
    top = _exponent(a, x, peak)
    width = np.ones_like(a)
    while True:  # an end past the peak where the exponent has fallen by 40
        high = peak + width
        short = _exponent(a, x, high) > top - 40
        if not short.any():
            break
        width = np.where(short, 2 * width, width)
    low_end, high_end = peak, high
    for _ in range(60):
        mid = (low_end + high_end) / 2
        above = _exponent(a, x, mid) > top - 40
        low_end, high_end = np.where(above, mid, low_end), np.where(above, high_end, mid)
    panel = high_end / _PANELS
    starts = np.arange(_PANELS)[:, None] * panel  # (panels, n)
    s = starts[:, None, :] + (panel * (_NODES[:, None] + 1) / 2)[None, :, :]  # (panels, nodes, n)
    w = (panel * _WEIGHTS[:, None] / 2)[None, :, :]
    integrand = np.exp(_exponent(a, x, s) - top) * w
    return np.log(x) + top, integrand.sum((0, 1)), (integrand * s).sum((0, 1))


class StandardGamma(Function):
    """A draw x ~ Gamma(α, 1) per element of α, differentiable in α by the implicit
    reparameterisation gradient (see the module's docstring)."""

    formula = "x ~ Gamma(α, 1), u = F(x; α) fixed"
    grad_formulas = ("dα = dx · ∂x/∂α = dx · (−∂_αF(x; α) / p(x; α))",)

    def forward(self, alpha):
        xp = namespace(alpha)
        a = np.asarray(to_numpy(alpha), dtype=np.float64)
        tiny = float(np.finfo(alpha.dtype).tiny)
        draws = np.asarray(generator_or_default(None, "Gamma.rsample").standard_gamma(a)).clip(min=tiny)
        self.alpha, self.x = a, draws
        return xp.asarray(draws.astype(alpha.dtype))

    def backward(self, g):
        xp = namespace(g)
        return g * xp.asarray(standard_gamma_grad(self.alpha, self.x).astype(g.dtype))


class GammaCdf(Function):
    """P(α, y) = γ(α, y)/Γ(α), the cdf of Gamma(α, 1) at y, differentiable in both."""

    formula = "P = γ(α, y)/Γ(α)"
    grad_formulas = ("dα = dP · (−p(y; α)·∂y/∂α)   (∂y/∂α: the implicit gradient at P fixed)",
                     "dy = dP · p(y; α) = dP · y^{α−1}·e^{−y}/Γ(α)")

    def forward(self, alpha, y):
        xp = namespace(alpha)
        self.alpha, self.y = (np.asarray(to_numpy(v), dtype=np.float64) for v in (alpha, y))
        self.alpha, self.y = np.broadcast_arrays(self.alpha, self.y)
        return xp.asarray(regularized_gamma(self.alpha, self.y).astype(alpha.dtype))

    def backward(self, g):
        xp = namespace(g)
        a, y = self.alpha, self.y
        inside = y > 0
        safe = np.where(inside, y, 1.0)
        density = np.where(inside, np.exp((a - 1) * np.log(safe) - safe - lgamma_array(a)), 0.0)
        d_alpha = d_y = None
        if self.needs_grad[0]:
            d_alpha = g * xp.asarray((-density * standard_gamma_grad(a, safe)).astype(g.dtype))
        if self.needs_grad[1]:
            d_y = g * xp.asarray(density.astype(g.dtype))
        return d_alpha, d_y
