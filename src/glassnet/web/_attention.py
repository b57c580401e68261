"""The playground's attention panel: one tiny attention head, computed by glassnet's engine.

A request is ``{"X": (L, E), "W_Q": (E, d), "W_K": (E, d), "W_V": (E, dv), "causal": bool}``
in row notation, as ``gn.explain.attention((X, W_Q, W_K, W_V))`` takes it::

    Q = X·W_Q,  K = X·W_K,  V = X·W_V                    (L, d), (L, d), (L, dv)
    S = Q·Kᵀ                                              (L, L)   one dot product per (query, key)
    Z = S/√d + M                                          M: 0, or −∞ above the diagonal if causal
    P[i,:] = exp(Z[i,:] − max Z[i,:]) / Σ exp(…)         (L, L)   the row softmax: attention weights
    O = P·V                                               (L, dv)  each query's mix of the values

Every number is a float64 glassnet tensor operation (``@``, ``F.softmax``); ``O`` is
checked against ``F.scaled_dot_product_attention(Q, K, V, is_causal=causal)`` (answered
as ``engine_output`` and ``max_error``). Sizes are bounded by :data:`ATTENTION_LIMITS`.
"""

import math

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.web._compute import to_json_list
from glassnet.web._state import PlaygroundError, _matrix

__all__ = ["ATTENTION_LIMITS", "attention_compute", "default_attention"]

ATTENTION_LIMITS = {"max_tokens": 6, "max_features": 4}
FORMULAS = {"Q": "Q = X·W_Q", "K": "K = X·W_K", "V": "V = X·W_V",
            "scores": "S = Q·Kᵀ,  Z = S/√d + M", "weights": "P = softmax(Z) by rows",
            "output": "O = P·V"}


def default_attention():
    """Three tokens of two features and 2×2 weights with at most one decimal each, so that
    every product can be done by hand; no mask."""
    return {"X": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
            "W_Q": [[1.0, 0.5], [-0.5, 1.0]], "W_K": [[1.0, 0.0], [0.5, 1.5]],
            "W_V": [[1.0, 0.0], [0.5, 2.0]], "causal": False}


def _parse(doc):
    """The request's arrays (float64), each checked: bounded sizes, finite numbers, shapes that
    multiply (``field`` names the first bad one)."""
    if not isinstance(doc, dict):
        raise PlaygroundError("attention: expected a JSON object with X, W_Q, W_K, W_V, causal", "X")
    max_l, max_e = ATTENTION_LIMITS["max_tokens"], ATTENTION_LIMITS["max_features"]
    X = _matrix(doc.get("X"), "X", max_l)
    if X.shape[1] > max_e:
        raise PlaygroundError(f"X: at most {max_e} features per token, got {X.shape[1]}", "X")
    weights = [_matrix(doc.get(name), name, max_e) for name in ("W_Q", "W_K", "W_V")]
    for name, W in zip(("W_Q", "W_K", "W_V"), weights, strict=True):
        if W.shape[0] != X.shape[1] or W.shape[1] > max_e:
            raise PlaygroundError(
                f"{name}: expected {X.shape[1]} rows (X has {X.shape[1]} features) of at most "
                f"{max_e} numbers, got {W.shape[0]}×{W.shape[1]}", name)
    if weights[0].shape[1] != weights[1].shape[1]:
        raise PlaygroundError(f"W_K: queries and keys must have the same width d: W_Q gives "
                              f"{weights[0].shape[1]}, W_K {weights[1].shape[1]}", "W_K")
    causal = doc.get("causal", False)
    if not isinstance(causal, bool):
        raise PlaygroundError(f"causal: expected true or false, got {causal!r:.40}", "causal")
    return X, weights, causal


def _row_softmax(Z):
    """(exps, sums, P) of the rows of Z: exp(Z − row max), their sums, ``F.softmax(Z)``."""
    exps = gn.exp(Z - Z.amax(dim=-1, keepdim=True))
    return exps, exps.sum(dim=-1), F.softmax(Z, dim=-1)


def attention_compute(doc):
    """One attention head on the request ``doc`` (see the module docstring). Returns the
    inputs, ``Q``/``K``/``V``, ``scores`` S (L×L), ``scaled`` S/√d, ``masked`` (L×L, True =
    blocked), ``exps``/``sums``/``weights`` of the row softmax, ``output`` O (L×dv),
    ``score_terms`` (L, L, d) Q[i,k]·K[j,k], ``output_terms`` (L, dv, L) P[i,j]·V[j,c],
    ``engine_output`` (scaled_dot_product_attention) and ``max_error`` |O − engine|."""
    X, (W_Q, W_K, W_V), causal = _parse(doc)
    L, d = X.shape[0], W_Q.shape[1]
    with gn.no_grad():
        x = gn.tensor(X, dtype="float64")
        Q, K, V = (x @ gn.tensor(W, dtype="float64") for W in (W_Q, W_K, W_V))
        S = Q @ K.T
        scale = 1.0 / math.sqrt(d)
        blocked = np.triu(np.ones((L, L), dtype=bool), 1) if causal else np.zeros((L, L), dtype=bool)
        Z = S * scale + gn.tensor(np.where(blocked, -np.inf, 0.0))
        exps, sums, P = _row_softmax(Z)
        O = P @ V
        engine = F.scaled_dot_product_attention(Q, K, V, is_causal=causal)
    q, k, v, p = Q.array, K.array, V.array, P.array
    return {
        "X": to_json_list(X), "W_Q": to_json_list(W_Q), "W_K": to_json_list(W_K),
        "W_V": to_json_list(W_V), "causal": causal, "d": d, "scale": scale,
        "Q": to_json_list(q), "K": to_json_list(k), "V": to_json_list(v),
        "scores": to_json_list(S.array), "scaled": to_json_list(S.array * scale),
        "masked": blocked.tolist(), "exps": to_json_list(exps.array), "sums": to_json_list(sums.array),
        "weights": to_json_list(p), "output": to_json_list(O.array),
        "score_terms": to_json_list(q[:, None, :] * k[None, :, :]),
        "output_terms": to_json_list(p[:, None, :] * v.T[None, :, :]),
        "engine_output": to_json_list(engine.array),
        "max_error": float(np.max(np.abs(O.array - engine.array))), "formulas": FORMULAS,
    }
