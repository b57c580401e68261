"""Fuzzing every reader of untrusted input (issue #21): the safetensors reader (byte and
header mutations of a model file and a checkpoint, through every loader and ``glassnet
inspect``), the config checks (model configs and saved run arguments), and the CSV and
NPZ loaders. Each accepts only a GlassnetError or a correct result.

Each property runs in a child process (tests/_fuzz_child.py) whose address space is
limited to 1 GiB over what it holds after its imports, so a regression that allocates
what a file claims fails as a MemoryError — it cannot exhaust the machine. Bounded by
default (50 deterministic examples per property); ``GLASSNET_FUZZ=1`` runs 2,000 random
examples per property, ``GLASSNET_FUZZ=N`` (N > 1) runs N.
"""

import os
import pathlib
import subprocess
import sys

import pytest

CHILD = pathlib.Path(__file__).with_name("_fuzz_child.py")
PROPERTIES = ["safetensors_bytes", "safetensors_headers", "configs", "csv_files", "npz_files"]


def _examples():
    wanted = os.environ.get("GLASSNET_FUZZ", "")
    if not wanted or wanted == "0":
        return 50
    return 2000 if wanted == "1" else int(wanted)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
@pytest.mark.parametrize("name", PROPERTIES)
def test_fuzz_in_a_memory_limited_child(name):
    examples = _examples()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    result = subprocess.run([sys.executable, str(CHILD), name, str(examples)], capture_output=True,
                            text=True, timeout=max(300, examples), cwd=CHILD.parent, env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    assert f"{name}: {examples} examples" in result.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_the_guard_turns_a_runaway_allocation_into_a_failure():
    """Without the guard, a regression that believes a header's 10¹² × 4 bytes would take
    the machine down; with it, the child fails with MemoryError and the test says so."""
    code = ("import _fuzz_child as c, numpy as np; c.limit_address_space()\n"
            "try:\n    np.ones(2**31, dtype=np.float64)\nexcept MemoryError:\n    print('refused')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=CHILD.parent)
    assert result.stdout.strip() == "refused", result.stderr[-2000:]
