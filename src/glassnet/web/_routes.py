"""The playground's endpoints as answers: what each path computes, how a request's JSON body
becomes a call, and how an error becomes a 4xx with a JSON message.

The functions named ``*_answer`` and :class:`TrainJob` run on the compute thread
(:mod:`glassnet.web._worker`): they decode the body there, compute under
``np.errstate(all="ignore")`` (a diverging network is answered with a 400, not warnings),
and hand back a finished :class:`~glassnet.web._http.Response`, so the event loop only
moves bytes.
"""

import json
import time
from http import HTTPStatus

import numpy as np

from glassnet._errors import GlassnetError
from glassnet.web._attention import ATTENTION_LIMITS, attention_compute
from glassnet.web._compute import compute, explain_trace, init_state, sgd_step
from glassnet.web._http import HTTPError, Response
from glassnet.web._state import ACTIVATIONS, LIMITS, LOSSES, PlaygroundError
from glassnet.web._train import TOY_DATASETS, Training, export_model_bytes, export_script

__all__ = ["EXPORTS", "POST", "TrainJob", "datasets_info", "error_response", "export_answer",
           "json_answer", "json_response", "post_answer"]


def _init(doc):
    if not isinstance(doc, dict):
        raise PlaygroundError("init: expected a JSON object with sizes", "sizes")
    seed = doc.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise PlaygroundError(f"seed: expected an integer 0 .. 2**32-1, got {seed!r}", "seed")
    return init_state(doc.get("sizes"), doc.get("activations"), seed,
                      doc.get("loss", "cross_entropy"), doc.get("lr", 0.1))


POST = {"/api/compute": compute, "/api/step": sgd_step, "/api/init": _init, "/api/trace": explain_trace,
        "/api/attention": attention_compute}
EXPORTS = {"/api/export/model": (export_model_bytes, "application/octet-stream", "network.safetensors"),
           "/api/export/script": (export_script, "text/x-python; charset=utf-8", "network.py")}


def datasets_info():
    return {"datasets": list(TOY_DATASETS), "limits": LIMITS, "activations": list(ACTIVATIONS),
            "losses": list(LOSSES), "attention_limits": ATTENTION_LIMITS}


def json_response(status, obj):
    """``obj`` as JSON; numbers that are NaN or Inf mean the network diverged: a 400."""
    try:
        body = json.dumps(obj, allow_nan=False)
    except ValueError:
        return error_response(HTTPStatus.BAD_REQUEST, "the computation diverged (NaN or Inf); lower "
                              "the learning rate or the weights", "lr")
    return Response(status, body.encode())


def error_response(status, message, field=None, headers=(), close=False):
    return Response(status, json.dumps({"error": message, "field": field}).encode(),
                    headers=headers, close=close)


def _exception_response(exc):
    if isinstance(exc, HTTPError):
        return error_response(exc.status, str(exc), exc.field, exc.headers)
    if isinstance(exc, PlaygroundError):
        return error_response(HTTPStatus.BAD_REQUEST, str(exc), exc.field)
    if isinstance(exc, (GlassnetError, RecursionError)):
        return error_response(HTTPStatus.BAD_REQUEST, str(exc))
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(exc).__name__}: {exc}")


def _decode(raw):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HTTPError(HTTPStatus.BAD_REQUEST, f"the body is not valid JSON ({exc})") from None


def _guarded(make_response, *args):
    try:
        with np.errstate(all="ignore"):
            return make_response(*args)
    except Exception as exc:  # never take the server down: every failure is an answer
        return _exception_response(exc)


def json_answer(fn, *args):
    """(Compute thread.) ``fn(*args)`` answered as JSON."""
    return _guarded(lambda: json_response(HTTPStatus.OK, fn(*args)))


def post_answer(fn, raw):
    """(Compute thread.) ``fn(body as JSON)`` answered as JSON."""
    return _guarded(lambda: json_response(HTTPStatus.OK, fn(_decode(raw))))


def export_answer(path, raw):
    """(Compute thread.) An export endpoint's file, as an attachment."""
    make, content_type, filename = EXPORTS[path]

    def answer():
        body = make(_decode(raw))
        body = body.encode() if isinstance(body, str) else body
        return Response(HTTPStatus.OK, body, content_type,
                        [("Content-Disposition", f'attachment; filename="{filename}"')])

    return _guarded(answer)


class TrainJob:
    """(Compute thread.) A ``/api/train`` request: its :class:`Training` is built on the first
    slice, advanced slice by slice, and stops ``budget_s`` seconds after the request
    arrived (``steps`` and ``stopped`` in the answer say how far it got)."""

    def __init__(self, raw, budget_s):
        self.raw, self.budget_s, self.started = raw, budget_s, time.monotonic()
        self.training = self.response = None

    def advance(self, until):
        """Run until ``until`` (``time.monotonic()``); True once the answer is ready."""
        self.response = _guarded(self._advance, until)
        return self.response is not None

    def _advance(self, until):
        if self.training is None:
            self.training = Training(_decode(self.raw), self.budget_s, self.started)
        if self.training.advance(until):
            return json_response(HTTPStatus.OK, self.training.result())
        return None

    def result(self):
        return self.response
