"""Training: ``fit`` / ``evaluate`` / ``predict``, History, metrics and callbacks."""

from glassnet.train._callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from glassnet.train._checkpoint import Checkpoint, CheckpointManager
from glassnet.train._history import History
from glassnet.train._loop import TrainingRun, evaluate, fit, predict
from glassnet.train._metrics import METRICS
from glassnet.train._transfer import fine_tune, set_trainable, trainable_parameters

__all__ = ["METRICS", "Callback", "Checkpoint", "CheckpointManager", "EarlyStopping", "History",
           "LearningRateMonitor", "ModelCheckpoint", "TrainingRun", "evaluate", "fine_tune", "fit",
           "predict", "set_trainable", "trainable_parameters"]
