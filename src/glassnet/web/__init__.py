"""The playground: a local web page where a learner edits a small network's inputs and
weights and watches it compute and learn, every number from glassnet's own engine.

``glassnet playground`` serves it; :func:`make_server` starts one from Python (port 0 picks
a free port; ``limits`` overrides :data:`SERVER_LIMITS`, its deadlines and bounds). The
computations behind the endpoints are plain functions on a JSON state (:func:`compute`,
:func:`sgd_step`, :func:`train_steps` or a :class:`Training` advanced in slices,
:func:`export_script`, :func:`attention_compute` for the attention panel, …).
"""

from glassnet.web._attention import ATTENTION_LIMITS, attention_compute, default_attention
from glassnet.web._compute import build_model, compute, default_state, explain_trace, init_state, sgd_step
from glassnet.web._server import LOOPBACK_HOSTS, SERVER_LIMITS, PlaygroundServer, make_server, serve
from glassnet.web._state import ACTIVATIONS, LIMITS, LOSSES, PlaygroundError, parse_state
from glassnet.web._train import (
    TOY_DATASETS,
    Training,
    dataset_points,
    export_model_bytes,
    export_script,
    train_steps,
)

__all__ = ["ACTIVATIONS", "ATTENTION_LIMITS", "LIMITS", "LOOPBACK_HOSTS", "LOSSES", "PlaygroundError",
           "PlaygroundServer", "SERVER_LIMITS", "TOY_DATASETS", "Training", "attention_compute",
           "build_model", "compute", "dataset_points", "default_attention", "default_state",
           "explain_trace", "export_model_bytes", "export_script", "init_state", "make_server",
           "parse_state", "serve", "sgd_step", "train_steps"]
