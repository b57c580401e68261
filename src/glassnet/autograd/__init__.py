"""Reverse-mode automatic differentiation: Tensor, Function, the engine and its switches."""

from glassnet.autograd import forward_ad, function, functional
from glassnet.autograd._backward_many import backward
from glassnet.autograd._ctx_function import FunctionCtx
from glassnet.autograd._engine import unbroadcast
from glassnet.autograd._function import Function
from glassnet.autograd._grad import grad
from glassnet.autograd._gradcheck import gradcheck, gradgradcheck
from glassnet.autograd._hooks import OpEvent
from glassnet.autograd._mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    observe,
    set_detect_anomaly,
    set_grad_enabled,
)
from glassnet.autograd._tensor import Tensor

Variable = Tensor  # PyTorch's legacy name: a Variable is a Tensor since PyTorch 0.4

__all__ = [
    "Function",
    "FunctionCtx",
    "OpEvent",
    "Tensor",
    "Variable",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "forward_ad",
    "function",
    "functional",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "observe",
    "profiler",
    "set_detect_anomaly",
    "set_grad_enabled",
    "unbroadcast",
]


def __getattr__(name):
    """``glassnet.autograd.profiler`` loads on first use (its JSON and file writing are not
    needed by ``import glassnet``)."""
    if name == "profiler":
        import importlib

        return importlib.import_module("glassnet.autograd.profiler")
    raise AttributeError(f"module 'glassnet.autograd' has no attribute {name!r}")
