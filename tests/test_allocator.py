"""Host-allocator tuning: an explicit opt-in (``gn.backend.tune_host_allocator()`` or
``GLASSNET_HOST_ALLOCATOR=tuned``); importing glassnet changes nothing in the process."""

import os
import platform
import subprocess
import sys

import pytest

from glassnet import _allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.fixture(autouse=True)
def _leave_this_process_alone(monkeypatch):
    """Only "system"/unknown choices run in-process (they change nothing); tuning is
    tested in child processes. The record is restored."""
    saved = dict(_allocator._state)
    yield
    _allocator._state.update(saved)


def test_system_choice_leaves_malloc_alone():
    assert _allocator.tune_host_allocator({"GLASSNET_HOST_ALLOCATOR": "system"}) is False
    assert _allocator.host_allocator() == {"tuned": False, "reason": "GLASSNET_HOST_ALLOCATOR=system"}


def test_unknown_choice_is_reported_not_applied():
    assert _allocator.tune_host_allocator({"GLASSNET_HOST_ALLOCATOR": "jemalloc"}) is False
    assert "'jemalloc'" in _allocator.host_allocator()["reason"]


def test_importing_glassnet_does_not_tune():
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_HOST_ALLOCATOR"}
    code = "import glassnet as gn; print(gn.backend.host_allocator())"
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert "'tuned': False" in out.stdout and "not requested" in out.stdout


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_explicit_call_tunes_on_glibc():
    code = "import glassnet as gn; print(gn.backend.tune_host_allocator(), gn.backend.host_allocator())"
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_HOST_ALLOCATOR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    assert out.stdout.startswith("True {'tuned': True, 'reason': 'mallopt set'}")


_CHILD = """
import os, resource, sys, numpy as np
if sys.argv[1] != "numpy only":
    import glassnet
if sys.argv[1] == "tuned by call":
    glassnet.backend.tune_host_allocator({})
def churn():
    for _ in range(3):  # a training step's pattern: several 8 MB buffers alive, then all freed
        live = [np.ones((2, 1 << 20), np.float32) for _ in range(5)]
        del live
churn()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
@pytest.mark.parametrize("how, env_choice, few", [
    ("numpy only", None, False),        # the C library's behaviour without glassnet
    ("import glassnet", None, False),   # importing glassnet leaves it exactly so
    ("import glassnet", "system", False),
    ("import glassnet", "tuned", True),  # the opt-in by environment variable
    ("tuned by call", None, True),       # the opt-in by call
])
def test_freed_buffers_fault_in_again_unless_tuning_was_asked_for(how, env_choice, few):
    # NumPy asks for transparent huge pages on arrays ≥ 4 MB, which would change the count
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_HOST_ALLOCATOR"}
    env["NUMPY_MADVISE_HUGEPAGE"] = "0"
    if env_choice:
        env["GLASSNET_HOST_ALLOCATOR"] = env_choice
    faults = int(subprocess.run([sys.executable, "-c", _CHILD, how], env=env, check=True,
                                capture_output=True, text=True).stdout)
    # 3 × 40 MB freshly mapped is up to ~30,000 page faults; reused heap memory faults none
    assert (faults < 500) is few, faults


_THREADS_CHILD = """
import json, threading, numpy, threadpoolctl
before = (threading.active_count(), threadpoolctl.threadpool_info())
import glassnet as gn
x = gn.randn(64, 64, requires_grad=True); (x @ x).sum().backward()
after = (threading.active_count(), threadpoolctl.threadpool_info())
print(json.dumps([before, after]))
"""


def test_importing_and_using_glassnet_leaves_thread_counts_alone():
    import json

    out = subprocess.run([sys.executable, "-c", _THREADS_CHILD], check=True, capture_output=True, text=True)
    (threads_before, blas_before), (threads_after, blas_after) = json.loads(out.stdout)
    assert threads_after == threads_before == 1
    assert [lib["num_threads"] for lib in blas_after] == [lib["num_threads"] for lib in blas_before]
