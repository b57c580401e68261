"""The playground's compute thread: every glassnet computation the server makes runs here,
one at a time, off the thread that talks to clients.

One thread, because glassnet's explain observers and random generator are process-wide
(``/api/trace`` would record another request's operations; ``/api/init`` seeds the global
generator and restores it). Two lanes keep short requests short:

* **quick jobs** (compute, step, init, trace, exports: milliseconds each) wait in a FIFO of
  at most ``max_queued`` and always run first;
* **trainings** run round-robin in slices of ``slice_s`` seconds between the quick jobs, so
  a quick job waits at most one slice behind any number of trainings. At most
  ``max_trainings`` run at once, ``max_per_client`` of them for one client address; each
  stops by its own time budget (:class:`glassnet.web.Training`).

A full lane refuses at once (:class:`Busy`, answered 503) instead of queueing without end.
Jobs hand back their answer through a :class:`concurrent.futures.Future`.
"""

import collections
import threading
import time
from concurrent.futures import Future, InvalidStateError

__all__ = ["Busy", "ComputeWorker"]


class Busy(Exception):
    """The compute thread's queue is full: try again in a moment."""


class _Stepwise:
    """A training in the round-robin: ``job.advance(until) -> done`` and ``job.result()``."""

    __slots__ = ("job", "client", "future")

    def __init__(self, job, client, future):
        self.job, self.client, self.future = job, client, future


class ComputeWorker:
    """The compute thread (started on the first job) and its two bounded lanes."""

    def __init__(self, max_queued=64, max_trainings=4, max_per_client=2, slice_s=0.02):
        self.max_queued, self.max_trainings = max_queued, max_trainings
        self.max_per_client, self.slice_s = max_per_client, slice_s
        self._cond = threading.Condition()
        self._quick = collections.deque()      # (future, fn, args)
        self._trainings = collections.deque()  # _Stepwise, next to run first
        self._per_client = collections.Counter()
        self._thread = None
        self._closed = False

    def submit(self, fn, *args):
        """Run ``fn(*args)`` on the compute thread; a Future of its return value."""
        future = Future()
        with self._cond:
            if len(self._quick) >= self.max_queued:
                raise Busy(f"the playground is busy ({len(self._quick)} computations waiting); "
                           "try again in a moment")
            self._quick.append((future, fn, args))
            self._wake()
        return future

    def submit_training(self, job, client):
        """Add a stepwise ``job`` for ``client`` to the round-robin; a Future of its result."""
        future = Future()
        with self._cond:
            if self._per_client[client] >= self.max_per_client:
                raise Busy(f"train: {self._per_client[client]} trainings of yours are running "
                           f"(at most {self.max_per_client}); wait for one to finish")
            if len(self._trainings) >= self.max_trainings:
                raise Busy(f"train: the playground is running {len(self._trainings)} trainings "
                           f"(at most {self.max_trainings}); try again in a moment")
            self._per_client[client] += 1
            self._trainings.append(_Stepwise(job, client, future))
            self._wake()
        return future

    def close(self):
        """Stop the thread after the job it is running; jobs still waiting are cancelled."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(10)

    def _wake(self):
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="glassnet-playground-compute",
                                            daemon=True)
            self._thread.start()
        self._cond.notify()

    def _next(self):
        """The next quick job, else the next training, else None once closed (waits)."""
        with self._cond:
            while not (self._quick or self._trainings or self._closed):
                self._cond.wait()
            if self._closed:
                for future, *_ in self._quick:
                    future.cancel()
                for training in self._trainings:
                    training.future.cancel()
                return None
            return self._quick.popleft() if self._quick else self._trainings.popleft()

    def _run(self):
        while (item := self._next()) is not None:
            if isinstance(item, _Stepwise):
                self._slice(item)
                continue
            future, fn, args = item
            if future.set_running_or_notify_cancel():
                _settle(future, fn, *args)

    def _slice(self, training):
        """Advance one training by a slice; settle it when done, else put it at the back."""
        if training.future.cancelled():
            done = True
        else:
            try:
                done = training.job.advance(time.monotonic() + self.slice_s)
            except Exception as exc:  # the job's own errors are its answer's business
                _set(training.future, exc)
                done = True
            else:
                if done:
                    _settle(training.future, training.job.result)
        with self._cond:
            if done:
                self._per_client[training.client] -= 1
                if not self._per_client[training.client]:
                    del self._per_client[training.client]
            else:
                self._trainings.append(training)


def _settle(future, fn, *args):
    try:
        result = fn(*args)
    except Exception as exc:
        _set(future, exc)
    else:
        _set(future, result)


def _set(future, outcome):
    """Settle ``future`` unless its client gave up on it meanwhile (a training's future is
    never marked running, so that an abandoned one can still be cancelled)."""
    try:
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    except InvalidStateError:
        pass
