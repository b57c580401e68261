"""Reverse-mode automatic differentiation: Tensor, Function, the engine and its switches."""

from glassnet.autograd._engine import unbroadcast
from glassnet.autograd._function import Function
from glassnet.autograd._hooks import OpEvent
from glassnet.autograd._mode import (
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
    observe,
    set_grad_enabled,
)
from glassnet.autograd._tensor import Tensor

__all__ = [
    "Function",
    "OpEvent",
    "Tensor",
    "detect_anomaly",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "observe",
    "set_grad_enabled",
    "unbroadcast",
]
