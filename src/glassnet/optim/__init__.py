"""Optimizers that update parameters in place from their gradients, and lr schedulers.

>>> import glassnet as gn
>>> from glassnet import optim
>>> w = gn.tensor([1.0, -2.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
>>> (w * w).sum().backward()
>>> opt.step()
>>> opt.zero_grad()

The update rules, option names, state and ``state_dict`` layout are PyTorch's, so
trajectories match ``torch.optim`` number for number.
"""

from glassnet.optim import (
    _profiling,  # noqa: F401  (the profiler's optimiser-step ranges)
    lr_scheduler,
)
from glassnet.optim._adadelta import Adadelta
from glassnet.optim._adagrad import Adagrad
from glassnet.optim._adam import Adam, AdamW
from glassnet.optim._adamax import Adamax
from glassnet.optim._asgd import ASGD
from glassnet.optim._lbfgs import LBFGS
from glassnet.optim._nadam import NAdam, RAdam
from glassnet.optim._optimizer import Optimizer
from glassnet.optim._rmsprop import RMSprop
from glassnet.optim._rprop import Rprop
from glassnet.optim._sgd import SGD
from glassnet.optim._sparse_adam import SparseAdam

__all__ = [
    "ASGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "SparseAdam",
    "lr_scheduler",
    "swa_utils",
]


def __getattr__(name):
    """``glassnet.optim.swa_utils`` loads on first use: it builds on ``glassnet.nn``
    (AveragedModel is a Module), which ``glassnet.optim`` itself does not import."""
    if name == "swa_utils":
        import importlib

        return importlib.import_module("glassnet.optim.swa_utils")
    raise AttributeError(f"module 'glassnet.optim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
