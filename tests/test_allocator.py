"""The host-allocator tuning done at import: on by default on glibc, off on request."""

import os
import platform
import subprocess
import sys

import pytest

from glassnet import _allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.fixture(autouse=True)
def _restore_the_import_time_setting():
    """These tests call tune_host_allocator with other choices; leave the process as
    importing glassnet left it (and its record telling the truth)."""
    yield
    _allocator.tune_host_allocator()


def test_system_choice_leaves_malloc_alone():
    assert _allocator.tune_host_allocator({"GLASSNET_HOST_ALLOCATOR": "system"}) is False
    assert _allocator.host_allocator() == {"tuned": False, "reason": "GLASSNET_HOST_ALLOCATOR=system"}


def test_unknown_choice_is_reported_not_applied():
    assert _allocator.tune_host_allocator({"GLASSNET_HOST_ALLOCATOR": "jemalloc"}) is False
    assert "'jemalloc'" in _allocator.host_allocator()["reason"]


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tuned_on_glibc_by_default():
    assert _allocator.tune_host_allocator({}) is True
    assert _allocator.host_allocator() == {"tuned": True, "reason": "mallopt set"}


_CHILD = """
import resource, numpy as np, glassnet
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
@pytest.mark.parametrize("choice, few", [("tuned", True), ("system", False)])
def test_reallocating_a_freed_buffer_does_not_fault_pages_in_again(choice, few):
    # NumPy asks for transparent huge pages on arrays ≥ 4 MB, which would change the count
    env = {**os.environ, "GLASSNET_HOST_ALLOCATOR": choice, "NUMPY_MADVISE_HUGEPAGE": "0"}
    faults = int(subprocess.run([sys.executable, "-c", _CHILD], env=env, check=True,
                                capture_output=True, text=True).stdout)
    # 3 × 40 MB freshly mapped is up to ~30,000 page faults; reused heap memory faults none
    assert (faults < 500) is few, faults
