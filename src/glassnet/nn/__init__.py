"""Neural-network building blocks with PyTorch's names, layouts and defaults."""

from glassnet.nn import functional, init, utils
from glassnet.nn._activation import (
    GELU,
    Dropout,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from glassnet.nn._containers import ModuleDict, ModuleList, Sequential
from glassnet.nn._linear import Flatten, Identity, Linear
from glassnet.nn._loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from glassnet.nn._module import Module
from glassnet.nn._parameter import Parameter
from glassnet.nn._regularization import l1_penalty, l2_penalty
from glassnet.nn._summary import Summary

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Summary",
    "Tanh",
    "functional",
    "init",
    "l1_penalty",
    "l2_penalty",
    "utils",
]
