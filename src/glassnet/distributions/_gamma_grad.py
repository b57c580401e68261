"""∂x/∂α of a draw x ~ Gamma(α, 1) with its quantile u = F(x; α) held fixed — the implicit
reparameterisation gradient ∂x/∂α = −∂_αF(x; α) / p(x; α) — exactly (to float64 rounding),
by one of two forms whose terms all have one sign, so nothing cancels:

* x ≤ e^{ψ(α)} (the lower part): from the series P(α, x) = x^α e^{−x}/Γ(α + 1) · S,
  S = Σ_n c_n, c_n = xⁿ/((α + 1)…(α + n)):
  ∂x/∂α = (x/α)·(S·(ψ(α + 1) − log x) + Σ_n c_n·h_n),  h_n = Σ_{k≤n} 1/(α + k)
* x > e^{ψ(α)} (the upper part): from Q(α, x) = p(x; α)·J₀ with t = x·e^s:
  ∂x/∂α = J₀·(log x − ψ(α)) + J₁,  J_m = x·∫₀^∞ s^m·e^{αs − x(e^s − 1)} ds
  (composite Gauss–Legendre over [0, the point where the integrand is e^{−40} of its peak]).
"""

import numpy as np

from glassnet._backend import generator_or_default, namespace, to_numpy
from glassnet._errors import GlassnetValueError
from glassnet.autograd._function import Function
from glassnet.ops._special_math import digamma_array

__all__ = ["StandardGamma", "standard_gamma_grad"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(16)
_PANELS = 64
_CHUNK = 1024


def standard_gamma_grad(alpha, x):
    """∂x/∂α for float64 arrays ``alpha`` > 0 and draws ``x`` > 0 of one shape."""
    alpha, x = np.broadcast_arrays(np.asarray(alpha, np.float64), np.asarray(x, np.float64))
    psi = digamma_array(alpha)
    lower = np.log(x) <= psi
    out = np.empty(alpha.shape)
    out[lower] = _lower(alpha[lower], x[lower], psi[lower])
    upper = np.flatnonzero(~lower.ravel())
    flat, a_flat, x_flat, psi_flat = out.reshape(-1), alpha.ravel(), x.ravel(), psi.ravel()
    for start in range(0, upper.size, _CHUNK):  # bounded memory: (panels·nodes) values per element
        idx = upper[start:start + _CHUNK]
        flat[idx] = _upper(a_flat[idx], x_flat[idx], psi_flat[idx])
    return out


def _lower(a, x, psi):
    log_x, psi1 = np.log(x), psi + 1 / a  # ψ(α + 1) = ψ(α) + 1/α
    c, h, S, Sh = np.ones_like(a), np.zeros_like(a), np.ones_like(a), np.zeros_like(a)
    for n in range(1, 10_000_000):
        c = c * (x / (a + n))
        h = h + 1 / (a + n)
        S, Sh = S + c, Sh + c * h
        ratio = x / (a + n + 1)  # < 1: x < α here; what is left is below c·r/(1 − r)
        tail = c * ratio / (1 - ratio) * (1 + h + 1 / (a + n + 1) + np.abs(log_x - psi1))
        if (tail <= 1e-17 * (S * (psi1 - log_x) + Sh)).all():
            break
    else:
        raise GlassnetValueError("Gamma rsample gradient: the series did not converge")
    return (x / a) * (S * (psi1 - log_x) + Sh)


def _exponent(a, x, s):
    return a * s - x * np.expm1(s)


def _upper(a, x, psi):
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
    end = high_end
    panel = end / _PANELS
    starts = np.arange(_PANELS)[:, None] * panel  # (panels, n)
    s = starts[:, None, :] + (panel * (_NODES[:, None] + 1) / 2)[None, :, :]  # (panels, nodes, n)
    w = (panel * _WEIGHTS[:, None] / 2)[None, :, :]
    integrand = np.exp(_exponent(a, x, s) - top) * w
    J0 = integrand.sum((0, 1))
    J1 = (integrand * s).sum((0, 1))
    return x * np.exp(top) * (J0 * (np.log(x) - psi) + J1)


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
