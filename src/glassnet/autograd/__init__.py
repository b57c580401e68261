"""Reverse-mode automatic differentiation: Tensor, Function, the engine and its switches."""

# isort: off
# Tensor first: its module finishes by importing glassnet.ops, whose primitives need
# Function; loading _function first would close that circle too early.
from glassnet.autograd._tensor import Tensor

# isort: on
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
