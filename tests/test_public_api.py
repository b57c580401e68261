"""The public surface is a decision: ``gn.__all__`` is sorted, complete and importable,
and ``import glassnet`` stays fast and light."""

import subprocess
import sys
import types

import pytest

import glassnet as gn

SUBPACKAGES = [gn.ops, gn.autograd, gn.testing, gn.distributions, gn.fft, gn.linalg]


def test_all_is_sorted_without_duplicates():
    assert gn.__all__ == sorted(gn.__all__)
    assert len(gn.__all__) == len(set(gn.__all__))


def test_every_name_in_all_exists():
    assert [name for name in gn.__all__ if not hasattr(gn, name)] == []


def test_every_public_attribute_is_in_all():
    missing = [
        name for name, value in vars(gn).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
        and name not in gn.__all__
    ]
    assert missing == []


def test_star_import_gives_exactly_all():
    namespace = {}
    exec("from glassnet import *", namespace)  # the behaviour under test
    assert set(namespace) - {"__builtins__"} == set(gn.__all__)


@pytest.mark.parametrize("module", SUBPACKAGES, ids=lambda m: m.__name__)
def test_subpackage_all_names_exist_once(module):
    assert len(module.__all__) == len(set(module.__all__))
    assert [name for name in module.__all__ if not hasattr(module, name)] == []


def test_top_level_functions_are_the_ops_functions():
    for name in ("add", "matmul", "softmax", "sum", "cat", "where", "relu"):
        assert getattr(gn, name) is getattr(gn.ops, name)
    assert gn.Tensor is gn.autograd.Tensor and gn.Function is gn.autograd.Function


def test_dtype_names():
    assert (gn.float32, gn.float64, gn.int64) == ("float32", "float64", "int64")
    assert gn.bool_ == "bool" and gn.float16 == "float16" and gn.int32 == "int32"


def _fresh(code):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    return result.stdout.strip()


def test_import_loads_only_the_core():
    """Subpackages load on first use (the import time itself is measured in
    benchmarks/import_time.py, never asserted here)."""
    code = ("import sys, glassnet; print(','.join(sorted(m.split('.')[1] for m in sys.modules "
            "if m.startswith('glassnet.') and m.count('.') == 1 and not m.split('.')[1].startswith('_'))))")
    assert _fresh(code) == "autograd,kernels,ops"


def test_lazy_names_load_on_first_use():
    code = "import glassnet as gn; print(gn.nn.Linear.__name__, gn.save.__module__, gn.load_model.__name__)"
    assert _fresh(code) == "Linear glassnet.io._files load_model"


def test_import_pulls_in_no_heavy_optional_dependency():
    code = ("import sys, glassnet; heavy = ['torch', 'cupy', 'scipy', 'sklearn', "
            "'matplotlib', 'mpi4py', 'hypothesis']; "
            "print(','.join(m for m in heavy if m in sys.modules))")
    assert _fresh(code) == ""
