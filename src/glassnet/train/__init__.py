"""Training: ``fit`` / ``evaluate`` / ``predict``, History, metrics and callbacks."""

from glassnet.train._callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from glassnet.train._history import History
from glassnet.train._loop import TrainingRun, evaluate, fit, predict
from glassnet.train._metrics import METRICS

__all__ = ["METRICS", "Callback", "EarlyStopping", "History", "LearningRateMonitor",
           "ModelCheckpoint", "TrainingRun", "evaluate", "fit", "predict"]
