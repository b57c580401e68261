"""Neural-network building blocks with PyTorch's names, layouts and defaults."""

from glassnet.nn import functional, init, parallel, utils
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
from glassnet.nn._activation_extra import (
    CELU,
    GLU,
    SELU,
    Dropout1d,
    Dropout3d,
    Hardshrink,
    Hardsigmoid,
    Hardswish,
    PReLU,
    ReLU6,
    Softmin,
    Softshrink,
    Threshold,
)
from glassnet.nn._activation_more import ELU, Hardtanh, LogSigmoid, Mish, SiLU, Softplus, Softsign, Tanhshrink
from glassnet.nn._attention import MultiheadAttention
from glassnet.nn._batchnorm import BatchNorm1d, BatchNorm2d, Dropout2d
from glassnet.nn._containers import ModuleDict, ModuleList, Sequential
from glassnet.nn._conv import Conv1d, Conv2d
from glassnet.nn._embedding import Embedding
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
from glassnet.nn._normalization import GroupNorm, LayerNorm, RMSNorm
from glassnet.nn._parallel import DataParallel
from glassnet.nn._parameter import Parameter
from glassnet.nn._pool import AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from glassnet.nn._positional import PositionalEncoding, sinusoidal_positional_encoding
from glassnet.nn._recurrent import GRU, LSTM, RNN, RNNBase
from glassnet.nn._regularization import l1_penalty, l2_penalty
from glassnet.nn._rnn_cells import GRUCell, LSTMCell, RNNCell
from glassnet.nn._summary import Summary
from glassnet.nn._sync_batchnorm import SyncBatchNorm
from glassnet.nn._transformer import (
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
    generate_square_subsequent_mask,
)

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "BatchNorm2d",
    "CELU",
    "Conv1d",
    "Conv2d",
    "CrossEntropyLoss",
    "DataParallel",
    "Dropout",
    "Dropout1d",
    "ELU",
    "Embedding",
    "Dropout2d",
    "Dropout3d",
    "Flatten",
    "GELU",
    "GLU",
    "GRU",
    "GRUCell",
    "GroupNorm",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LSTM",
    "LSTMCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "LogSoftmax",
    "MSELoss",
    "MaxPool1d",
    "MaxPool2d",
    "Mish",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "NLLLoss",
    "PReLU",
    "Parameter",
    "PositionalEncoding",
    "RMSNorm",
    "RNN",
    "RNNBase",
    "RNNCell",
    "ReLU6",
    "ReLU",
    "SELU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softsign",
    "Softshrink",
    "Summary",
    "SyncBatchNorm",
    "Tanh",
    "Tanhshrink",
    "Threshold",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "functional",
    "generate_square_subsequent_mask",
    "init",
    "l1_penalty",
    "l2_penalty",
    "parallel",
    "sinusoidal_positional_encoding",
    "utils",
]
