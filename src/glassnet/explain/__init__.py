"""By hand: every computation glassnet performs, shown the way a person does it on paper.

``gn.explain`` observes the graph and never drives it: :func:`trace` subscribes to the
engine's observer hook (:func:`glassnet.observe`); the other explanations run a model
the ordinary way, watch it, and write down its real numbers.
"""

from glassnet.explain._attention import AttentionExplanation, attention
from glassnet.explain._attention_backprop import AttentionBackpropExplanation
from glassnet.explain._backprop import BackpropExplanation, BackpropStep, backprop
from glassnet.explain._compiled import CompiledExplanation, compiled
from glassnet.explain._forward import ForwardExplanation, forward
from glassnet.explain._layer import LayerExplanation, layer
from glassnet.explain._matmul import MatmulExplanation, matmul
from glassnet.explain._render import Explanation
from glassnet.explain._trace import Trace, TraceStep, trace
from glassnet.explain._worksheet import Worksheet, worksheet

__all__ = [
    "AttentionBackpropExplanation",
    "AttentionExplanation",
    "BackpropExplanation",
    "BackpropStep",
    "CompiledExplanation",
    "Explanation",
    "ForwardExplanation",
    "LayerExplanation",
    "MatmulExplanation",
    "Trace",
    "TraceStep",
    "Worksheet",
    "attention",
    "backprop",
    "compiled",
    "forward",
    "layer",
    "matmul",
    "trace",
    "worksheet",
]
