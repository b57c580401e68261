"""Training: ``fit`` / ``evaluate`` / ``predict``, History, metrics and callbacks; a whole
run from a :class:`RunConfig` (``run``) and its continuation from checkpoints (``resume``)."""

from glassnet.train._callbacks import Callback, EarlyStopping, LearningRateMonitor, ModelCheckpoint
from glassnet.train._checkpoint import Checkpoint, CheckpointManager
from glassnet.train._history import History
from glassnet.train._loop import TrainingRun, evaluate, fit, predict
from glassnet.train._metrics import METRICS
from glassnet.train._run import OPTIMIZERS, RunConfig, default_lr, resume, run
from glassnet.train._split import split_validation
from glassnet.train._transfer import fine_tune, set_trainable, trainable_parameters

__all__ = ["METRICS", "OPTIMIZERS", "Callback", "Checkpoint", "CheckpointManager", "EarlyStopping",
           "History", "LearningRateMonitor", "ModelCheckpoint", "RunConfig", "TrainingRun", "default_lr",
           "evaluate", "fine_tune", "fit", "predict", "resume", "run", "set_trainable",
           "split_validation", "trainable_parameters"]
