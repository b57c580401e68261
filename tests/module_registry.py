"""One registry of every Module class for the contract suite.

Each entry builds a glassnet module, an input batch, and (when PyTorch has the same
layer) the PyTorch module that must give the same numbers with the same weights.
Adding a module = adding one line.
"""

from dataclasses import dataclass, field

import glassnet.nn as nn
from attention_modules import attention_specs
from conv_modules import conv_specs
from glassnet.models import MLP, LogisticRegression
from norm_modules import norm_specs
from resample_cases import resample_specs
from sequence_modules import sequence_specs
from surface_modules import surface_specs


@dataclass
class ModuleSpec:
    name: str
    build: object  # () -> glassnet Module
    input_shape: tuple  # one sample (no batch axis)
    torch_build: object = None  # (torch) -> torch Module, same state-dict keys
    stochastic: bool = False  # output is random in training mode (Dropout)
    kwargs: dict = field(default_factory=dict)


MODULES = [
    ModuleSpec("Linear", lambda: nn.Linear(4, 3), (4,), lambda t: t.nn.Linear(4, 3)),
    ModuleSpec("Linear-nobias", lambda: nn.Linear(4, 3, bias=False), (4,),
               lambda t: t.nn.Linear(4, 3, bias=False)),
    ModuleSpec("Linear-3d", lambda: nn.Linear(4, 2), (5, 4), lambda t: t.nn.Linear(4, 2)),
    ModuleSpec("Identity", lambda: nn.Identity(), (3,), lambda t: t.nn.Identity()),
    ModuleSpec("Flatten", lambda: nn.Flatten(), (2, 3), lambda t: t.nn.Flatten()),
    ModuleSpec("ReLU", lambda: nn.ReLU(), (5,), lambda t: t.nn.ReLU()),
    ModuleSpec("LeakyReLU", lambda: nn.LeakyReLU(0.2), (5,), lambda t: t.nn.LeakyReLU(0.2)),
    ModuleSpec("Sigmoid", lambda: nn.Sigmoid(), (5,), lambda t: t.nn.Sigmoid()),
    ModuleSpec("Tanh", lambda: nn.Tanh(), (5,), lambda t: t.nn.Tanh()),
    ModuleSpec("GELU", lambda: nn.GELU(), (5,), lambda t: t.nn.GELU()),
    ModuleSpec("GELU-tanh", lambda: nn.GELU("tanh"), (5,), lambda t: t.nn.GELU("tanh")),
    ModuleSpec("Softplus", lambda: nn.Softplus(2.0, 1.0), (5,), lambda t: t.nn.Softplus(2.0, 1.0)),
    ModuleSpec("ELU", lambda: nn.ELU(0.5), (5,), lambda t: t.nn.ELU(0.5)),
    ModuleSpec("SiLU", lambda: nn.SiLU(), (5,), lambda t: t.nn.SiLU()),
    ModuleSpec("Mish", lambda: nn.Mish(), (5,), lambda t: t.nn.Mish()),
    ModuleSpec("Hardtanh", lambda: nn.Hardtanh(-0.5, 0.75), (5,), lambda t: t.nn.Hardtanh(-0.5, 0.75)),
    ModuleSpec("Softsign", lambda: nn.Softsign(), (5,), lambda t: t.nn.Softsign()),
    ModuleSpec("LogSigmoid", lambda: nn.LogSigmoid(), (5,), lambda t: t.nn.LogSigmoid()),
    ModuleSpec("Tanhshrink", lambda: nn.Tanhshrink(), (5,), lambda t: t.nn.Tanhshrink()),
    ModuleSpec("ReLU6", lambda: nn.ReLU6(), (5,), lambda t: t.nn.ReLU6()),
    # torch's CPU Hardsigmoid/Hardswish use 1/6 rounded to float32 even in float64 (3e-8):
    # compared with that tolerance in test_activations_extra.py
    ModuleSpec("Hardsigmoid", lambda: nn.Hardsigmoid(), (5,)),
    ModuleSpec("Hardswish", lambda: nn.Hardswish(), (5,)),
    ModuleSpec("SELU", lambda: nn.SELU(), (5,), lambda t: t.nn.SELU()),
    # α = 0.5: torch's CELU backward rounds 1/α to float32 (exact for 0.5; 4e-8 off for 0.7)
    ModuleSpec("CELU", lambda: nn.CELU(0.5), (5,), lambda t: t.nn.CELU(0.5)),
    ModuleSpec("Threshold", lambda: nn.Threshold(0.1, -1.0), (5,), lambda t: t.nn.Threshold(0.1, -1.0)),
    ModuleSpec("PReLU", lambda: nn.PReLU(), (5,), lambda t: t.nn.PReLU()),
    ModuleSpec("PReLU-channels", lambda: nn.PReLU(3, 0.1), (3, 4), lambda t: t.nn.PReLU(3, 0.1)),
    ModuleSpec("GLU", lambda: nn.GLU(), (6,), lambda t: t.nn.GLU()),
    ModuleSpec("Softmin", lambda: nn.Softmin(dim=-1), (5,), lambda t: t.nn.Softmin(dim=-1)),
    ModuleSpec("Hardshrink", lambda: nn.Hardshrink(0.3), (5,), lambda t: t.nn.Hardshrink(0.3)),
    ModuleSpec("Softshrink", lambda: nn.Softshrink(0.3), (5,), lambda t: t.nn.Softshrink(0.3)),
    ModuleSpec("Dropout1d", lambda: nn.Dropout1d(0.3), (3, 4), lambda t: t.nn.Dropout1d(0.3),
               stochastic=True),
    ModuleSpec("Dropout3d", lambda: nn.Dropout3d(0.3), (3, 2, 2, 2), lambda t: t.nn.Dropout3d(0.3),
               stochastic=True),
    ModuleSpec("Softmax", lambda: nn.Softmax(dim=-1), (5,), lambda t: t.nn.Softmax(dim=-1)),
    ModuleSpec("LogSoftmax", lambda: nn.LogSoftmax(dim=1), (5,), lambda t: t.nn.LogSoftmax(dim=1)),
    ModuleSpec("Dropout", lambda: nn.Dropout(0.3), (6,), lambda t: t.nn.Dropout(0.3),
               stochastic=True),
    ModuleSpec("Sequential",
               lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)), (3,),
               lambda t: t.nn.Sequential(t.nn.Linear(3, 4), t.nn.ReLU(), t.nn.Linear(4, 2))),
    ModuleSpec("MLP", lambda: MLP(6, (5, 4), 3, activation="tanh"), (6,),
               lambda t: t.nn.Sequential(t.nn.Flatten(), t.nn.Linear(6, 5), t.nn.Tanh(),
                                         t.nn.Linear(5, 4), t.nn.Tanh(), t.nn.Linear(4, 3))),
    ModuleSpec("DataParallel",  # as PyTorch's on a machine without GPUs: the module runs whole
               lambda: nn.DataParallel(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))),
               (3,), lambda t: t.nn.DataParallel(
                   t.nn.Sequential(t.nn.Linear(3, 4), t.nn.ReLU(), t.nn.Linear(4, 2)))),
    ModuleSpec("SyncBatchNorm",  # without a process group of several ranks: BatchNorm
               lambda: nn.SyncBatchNorm(3, momentum=0.2), (3, 2, 4),
               lambda t: t.nn.SyncBatchNorm(3, momentum=0.2)),
    ModuleSpec("LogisticRegression", lambda: LogisticRegression(4, 3), (2, 2),
               lambda t: t.nn.Sequential(t.nn.Flatten(), t.nn.Linear(4, 3))),
]
MODULES += sequence_specs(ModuleSpec)  # RNN, LSTM, GRU, cells, Embedding: sequence_modules.py
MODULES += conv_specs(ModuleSpec)  # Conv, pooling, BatchNorm, Dropout2d, CNNs: conv_modules.py
MODULES += attention_specs(ModuleSpec)  # attention, transformers: attention_modules.py
MODULES += norm_specs(ModuleSpec)  # LayerNorm, GroupNorm, RMSNorm: norm_modules.py
MODULES += surface_specs(ModuleSpec)  # Bilinear, EmbeddingBag, Fold, adaptive max pools: surface_modules.py
MODULES += resample_specs(ModuleSpec)  # ConvTranspose, Upsample, pads, InstanceNorm, …: resample_cases.py
