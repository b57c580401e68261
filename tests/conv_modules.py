"""Module-registry entries for the convolutional layers (added in module_registry.py).

Each builds the glassnet layer and the PyTorch layer with the same state-dict keys; the
module contract suite then checks gradients, state dicts, summaries and PyTorch equality.
"""

import glassnet.nn as nn
from glassnet.models import CNN1d, CNN2d


def _torch_cnn1d(t):
    n = t.nn
    return n.Sequential(n.Conv1d(1, 4, 5, padding=2), n.BatchNorm1d(4), n.ReLU(), n.MaxPool1d(2),
                        n.Conv1d(4, 3, 5, padding=2), n.BatchNorm1d(3), n.ReLU(), n.MaxPool1d(2),
                        n.Conv1d(3, 2, 3, padding=1), n.BatchNorm1d(2), n.ReLU(), n.Flatten(),
                        n.Linear(6, 5))


def _torch_cnn2d(t):
    n = t.nn
    return n.Sequential(n.Conv2d(1, 3, 3, padding=1), n.BatchNorm2d(3), n.ReLU(),
                        n.Conv2d(3, 2, 3, padding=1), n.BatchNorm2d(2), n.ReLU(), n.MaxPool2d(2),
                        n.Conv2d(2, 4, 3, padding=1), n.BatchNorm2d(4), n.ReLU(), n.MaxPool2d(2),
                        n.Flatten(), n.Linear(4, 3))


def conv_specs(spec):
    """The entries, built with the registry's ``ModuleSpec`` class."""
    return [
        spec("Conv1d", lambda: nn.Conv1d(3, 4, 3), (3, 7), lambda t: t.nn.Conv1d(3, 4, 3)),
        spec("Conv1d-stride-pad-dilation", lambda: nn.Conv1d(2, 3, 3, stride=2, padding=2, dilation=2),
             (2, 9), lambda t: t.nn.Conv1d(2, 3, 3, stride=2, padding=2, dilation=2)),
        spec("Conv1d-groups-same-nobias",
             lambda: nn.Conv1d(4, 6, 3, padding="same", groups=2, bias=False), (4, 6),
             lambda t: t.nn.Conv1d(4, 6, 3, padding="same", groups=2, bias=False)),
        spec("Conv2d", lambda: nn.Conv2d(2, 3, 3), (2, 5, 5), lambda t: t.nn.Conv2d(2, 3, 3)),
        spec("Conv2d-stride-pad", lambda: nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1),
             (2, 5, 4), lambda t: t.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=1)),
        spec("Conv2d-groups-dilation", lambda: nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4),
             (4, 5, 5), lambda t: t.nn.Conv2d(4, 4, 3, padding=2, dilation=2, groups=4)),
        spec("MaxPool1d", lambda: nn.MaxPool1d(2), (2, 7), lambda t: t.nn.MaxPool1d(2)),
        spec("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), (2, 5, 6),
             lambda t: t.nn.MaxPool2d(3, stride=2, padding=1)),
        spec("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2, padding=1), (2, 7),
             lambda t: t.nn.AvgPool1d(3, stride=2, padding=1)),
        spec("AvgPool2d", lambda: nn.AvgPool2d(2), (2, 4, 6), lambda t: t.nn.AvgPool2d(2)),
        spec("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), (2, 5, 7),
             lambda t: t.nn.AdaptiveAvgPool2d((2, 3))),
        spec("BatchNorm1d", lambda: nn.BatchNorm1d(4), (4,), lambda t: t.nn.BatchNorm1d(4)),
        spec("BatchNorm1d-3d", lambda: nn.BatchNorm1d(3, momentum=0.2), (3, 5),
             lambda t: t.nn.BatchNorm1d(3, momentum=0.2)),
        spec("BatchNorm2d", lambda: nn.BatchNorm2d(3), (3, 2, 4), lambda t: t.nn.BatchNorm2d(3)),
        spec("BatchNorm2d-noaffine", lambda: nn.BatchNorm2d(2, affine=False), (2, 3, 3),
             lambda t: t.nn.BatchNorm2d(2, affine=False)),
        spec("Dropout2d", lambda: nn.Dropout2d(0.3), (4, 3, 3), lambda t: t.nn.Dropout2d(0.3),
             stochastic=True),
        spec("CNN1d", lambda: CNN1d(12, 5, channels=(4, 3, 2)), (1, 12), _torch_cnn1d),
        spec("CNN2d", lambda: CNN2d(4, 4, 3, channels=(3, 2, 4)), (1, 4, 4), _torch_cnn2d),
    ]
